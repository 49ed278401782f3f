# Rules: predict. Extrapolation checked on held-out runs, and the compute planner
# (scalinglab.predict; CLI: scalinglab-plan). Outputs under results/predict/, figures under
# results/figures/predict_*.png.
PREDICT = f"{RESULTS}/predict"
PREDICT_CATEGORY = report_category("predict")


def predict_run_summaries(wildcards=None):
    """summary.json of every run in the experiments the extrapolation check uses."""
    return [s for e in config["predict"]["experiments"] for s in run_summaries(e)]




def predict_datasets():
    """'public' always; 'runs' when an experiment of predict.experiments is in the config."""
    return ["runs", "public"] if predict_run_summaries() else ["public"]


rule predict_extrapolation_runs:
    input:
        summaries=predict_run_summaries,
    output:
        predictions=f"{PREDICT}/extrapolation_runs.csv",
        summary=report(f"{PREDICT}/extrapolation_runs_summary.csv",
                       caption="../report/predict_extrapolation_table.rst",
                       category=PREDICT_CATEGORY, labels={"table": "held-out error, own runs"}),
        fitted=f"{PREDICT}/extrapolation_runs_fitted.json",
    params:
        dataset="runs",
    log:
        f"{RESULTS}/logs/predict/extrapolation_runs.log",
    benchmark:
        f"{RESULTS}/benchmarks/predict/extrapolation_runs.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/predict_extrapolation.py"


rule predict_extrapolation_public:
    input:
        points=chinchilla_points_csv(),  # fits.smk: a local file, else the downloaded copy
    output:
        predictions=f"{PREDICT}/extrapolation_public.csv",
        summary=report(f"{PREDICT}/extrapolation_public_summary.csv",
                       caption="../report/predict_extrapolation_table.rst",
                       category=PREDICT_CATEGORY,
                       labels={"table": "held-out error, public Chinchilla points"}),
        fitted=f"{PREDICT}/extrapolation_public_fitted.json",
    params:
        dataset="public",
    log:
        f"{RESULTS}/logs/predict/extrapolation_public.log",
    benchmark:
        f"{RESULTS}/benchmarks/predict/extrapolation_public.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/predict_extrapolation.py"


rule predict_extrapolation_figure:
    input:
        predictions=f"{PREDICT}/extrapolation_{{dataset}}.csv",
    output:
        png=report(figure("predict_extrapolation_{dataset}"),
                   caption="../report/predict_extrapolation.rst", category=PREDICT_CATEGORY,
                   labels={"figure": "extrapolation check", "data": "{dataset}"}),
        pdf=f"{RESULTS}/figures/predict_extrapolation_{{dataset}}.pdf",
    params:
        title=lambda wc: ("the pipeline's own runs: fit on all but the largest, predict them"
                          if wc.dataset == "runs" else
                          "public Chinchilla points: fit below the compute threshold, "
                          "predict above it"),
    log:
        f"{RESULTS}/logs/predict/extrapolation_figure_{{dataset}}.log",
    script:
        "../scripts/predict_extrapolation_figure.py"


rule predict_plan:
    input:
        fitted=config["predict"]["plan"]["fitted_tables"],
    output:
        plan=report(f"{PREDICT}/plan.json", caption="../report/predict_plan_table.rst",
                    category=PREDICT_CATEGORY, labels={"table": "compute plan"}),
    log:
        f"{RESULTS}/logs/predict/plan.log",
    script:
        "../scripts/predict_plan.py"


rule predict_plan_figure:
    input:
        plan=f"{PREDICT}/plan.json",
    output:
        png=report(figure("predict_plan"), caption="../report/predict_plan.rst",
                   category=PREDICT_CATEGORY, labels={"figure": "compute plan"}),
        pdf=f"{RESULTS}/figures/predict_plan.pdf",
    log:
        f"{RESULTS}/logs/predict/plan_figure.log",
    script:
        "../scripts/predict_plan.py"


ALL_TARGETS += [figure(f"predict_extrapolation_{d}") for d in predict_datasets()]
ALL_TARGETS += [f"{PREDICT}/extrapolation_{d}_summary.csv" for d in predict_datasets()]
ALL_TARGETS += [figure("predict_plan"), f"{PREDICT}/plan.json"]
