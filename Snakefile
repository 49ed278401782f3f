# scalinglab: scaling laws and associative memory, end to end.
# Paper scale:  snakemake --cores all --profile profiles/slurm
# Laptop demo:  snakemake --cores 2 --configfile workflow/config/demo.yaml
import os
import sys

from snakemake.utils import min_version, validate

from scalinglab.config import ConfigError, ConfigFileError, check_config, load_yaml

min_version("9.19")


# Snakemake's own message for a YAML syntax error names neither file nor line: check ours first.
try:
    load_yaml("config.yaml")
except ConfigFileError as err:
    sys.exit(f"config error: {err}")


configfile: "config.yaml"


# Defaults live in the schema. check_config names the first bad key in one line (experiments'
# `train:` overrides included); validate() then fills in the defaults.
try:
    check_config(
        config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml")
    )
except ConfigError as err:
    sys.exit(f"config error: {err}")
validate(config, "workflow/schemas/config.schema.yaml", set_default=True)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/memory.smk"
include: "workflow/rules/question_formation.smk"
include: "workflow/rules/fits.smk"
include: "workflow/rules/quantization.smk"
include: "workflow/rules/capacity.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/verdicts.smk"


rule all:
    default_target: True
    input:
        ALL_TARGETS,
