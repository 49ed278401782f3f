# Rules: verdicts. Every claim of the reproduced papers against this run's own outputs, by the
# stated rules of scalinglab.verdicts: results/verdicts/verdicts.{csv,json}. Only the analyses
# the config runs are read; a claim whose analysis is absent is left out (named in the log).
VERDICTS = f"{RESULTS}/verdicts"


localrules:
    verdicts,


def _declared_output(path):
    """`path` when some rule of the workflow writes it (e.g. an optional analysis), else None."""
    for r in workflow.rules:
        if any(str(o) == path for o in r.output):
            return path
    return None


def verdicts_input(wildcards):
    exps = config["experiments"]
    fits = config["fits"]
    inputs = dict(
        val=VAL_JSON,
        memory_summaries=run_summaries(config["memory"]["experiment"]),
        memory_distances=[f"{MEMORY}/{c}/summary.json" for c in memory_checkpoints()],
        qf_loss=rules.question_formation_train.output.loss,
        qf_summary=rules.question_formation_train.output.summary,
        qf_data=rules.question_formation_data.output.meta,
        qf_train=rules.question_formation_data.output.train,
        public=rules.fits_chinchilla_public.output.table,
        quantization=rules.quantization_fit.output.exponents,
        run_summaries=[s for e in config["experiments"] for s in run_summaries(e)],
    )
    if fits["kaplan_experiment"] in exps:
        inputs.update(kaplan_table=rules.fits_kaplan_runs.output.table,
                      kaplan_irreducible=rules.fits_kaplan_runs.output.irreducible)
    if fits["isoflop_experiment"] in exps:
        inputs.update(isoflop=rules.fits_chinchilla_runs.output.isoflop,
                      allocation=rules.fits_chinchilla_runs.output.allocation,
                      chinchilla_irreducible=rules.fits_chinchilla_runs.output.irreducible)
    for d in predict_datasets():
        inputs[f"extrapolation_{d}"] = f"{PREDICT}/extrapolation_{d}_summary.csv"
    capacity = _declared_output(f"{RESULTS}/capacity/fit.json")
    if capacity:
        inputs["capacity"] = capacity
    return inputs


rule verdicts:
    """One row per claim: paper value, this run's value and interval, the corpus's reference, verdict."""
    input:
        unpack(verdicts_input),
    output:
        table=report(f"{VERDICTS}/verdicts.csv", caption="../report/verdicts_table.rst",
                     category="Verdicts", labels={"table": "every claim against this run"}),
        json=f"{VERDICTS}/verdicts.json",
    params:
        settings=config["verdicts"],
        irreducible_tolerance=config["fits"]["irreducible_tolerance"],
        predict_level=config["predict"]["level"],
    log:
        f"{RESULTS}/logs/verdicts/verdicts.log",
    conda:
        "../../envs/analysis.yaml"
    script:
        "../scripts/verdicts.py"


ALL_TARGETS.extend(rules.verdicts.output)
