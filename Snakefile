# scalinglab: scaling laws and associative memory, end to end.
# Paper scale:  snakemake --cores all --profile profiles/slurm
# Laptop demo:  snakemake --cores 2 --configfile workflow/config/demo.yaml
from snakemake.utils import min_version, validate

min_version("9.19")


configfile: "config.yaml"


# Defaults live in the schema; validation fills them in and rejects unknown keys.
validate(config, "workflow/schemas/config.schema.yaml", set_default=True)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/memory.smk"
include: "workflow/rules/question_formation.smk"
include: "workflow/rules/fits.smk"
include: "workflow/rules/quantization.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/verdicts.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
