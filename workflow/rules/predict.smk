# Rules: predict. Extrapolation checked on held-out runs, and the compute planner
# (scalinglab.predict; CLI: scalinglab-plan). Outputs under results/predict/, figures under
# results/figures/predict_*.png.


# Figures, tables and downloads run on the submitting host (seconds; no cluster job).
localrules:
    predict_extrapolation_figure,
    predict_plan,
    predict_plan_figure,


rule predict_extrapolation_runs:
    input:
        summaries=predict_run_summaries,
        runs_table=RUNS_TABLE,
    output:
        predictions=f"{PREDICT}/extrapolation_runs.csv",
        summary=report(
            f"{PREDICT}/extrapolation_runs_summary.csv",
            caption="../report/predict_extrapolation_table.rst",
            category=PREDICT_CATEGORY,
            labels={"table": "held-out error, own runs"},
        ),
        fitted=f"{PREDICT}/extrapolation_runs_fitted.json",
    log:
        f"{RESULTS}/logs/predict/extrapolation_runs.log",
    benchmark:
        f"{RESULTS}/benchmarks/predict/extrapolation_runs.tsv"
    conda:
        ANALYSIS_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        n_column=config["predict"]["params"],
        loss=config["predict"]["loss"],
        holdout_by=config["predict"]["holdout_by"],
        holdout_largest=config["predict"]["holdout_largest"],
        n_starts=config["predict"]["n_starts"],
        bootstrap_extra_starts=config["predict"]["bootstrap_extra_starts"],
        n_boot=config["predict"]["n_boot"],
        level=config["predict"]["level"],
        seed=config["seed"],
        loss_units=config["fits"]["runs"]["loss_units"],
    script:
        STAGE


rule predict_extrapolation_public:
    input:
        points=chinchilla_points_csv(),  # fits.smk: a local file, else the downloaded copy
    output:
        predictions=f"{PREDICT}/extrapolation_public.csv",
        summary=report(
            f"{PREDICT}/extrapolation_public_summary.csv",
            caption="../report/predict_extrapolation_table.rst",
            category=PREDICT_CATEGORY,
            labels={"table": "held-out error, public Chinchilla points"},
        ),
        fitted=f"{PREDICT}/extrapolation_public_fitted.json",
    log:
        f"{RESULTS}/logs/predict/extrapolation_public.log",
    benchmark:
        f"{RESULTS}/benchmarks/predict/extrapolation_public.tsv"
    conda:
        ANALYSIS_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        public_holdout_flops=config["predict"]["public_holdout_flops"],
        n_starts=config["predict"]["n_starts"],
        bootstrap_extra_starts=config["predict"]["bootstrap_extra_starts"],
        n_boot=config["predict"]["n_boot"],
        level=config["predict"]["level"],
        seed=config["seed"],
    script:
        STAGE


rule predict_extrapolation_figure:
    input:
        predictions=f"{PREDICT}/extrapolation_{{dataset}}.csv",
    output:
        png=report(
            figure("predict_extrapolation_{dataset}"),
            caption="../report/predict_extrapolation.rst",
            category=PREDICT_CATEGORY,
            labels={"figure": "extrapolation check", "data": "{dataset}"},
        ),
        pdf=f"{RESULTS}/figures/predict_extrapolation_{{dataset}}.pdf",
    log:
        f"{RESULTS}/logs/predict/extrapolation_figure_{{dataset}}.log",
    conda:
        ANALYSIS_ENV
    params:
        title=lambda wc: (
            "the pipeline's own runs: fit on all but the largest, predict them"
            if wc.dataset == "runs"
            else "public Chinchilla points: fit below the compute threshold, "
            "predict above it"
        ),
        level=config["predict"]["level"],
    script:
        STAGE


rule predict_plan:
    input:
        fitted=plan_fitted_tables,
    output:
        plan=report(
            f"{PREDICT}/plan.json",
            caption="../report/predict_plan_table.rst",
            category=PREDICT_CATEGORY,
            labels={"table": "compute plan"},
        ),
    log:
        f"{RESULTS}/logs/predict/plan.log",
    conda:
        ANALYSIS_ENV
    params:
        gpus=config["predict"]["plan"]["gpus"],
        gpu_type=config["predict"]["plan"]["gpu_type"],
        days=config["predict"]["plan"]["days"],
        mfu=config["predict"]["plan"]["mfu"],
        dtype=config["predict"]["plan"]["dtype"],
        inference_tokens=config["predict"]["plan"]["inference_tokens"],
        max_extrapolation=config["predict"]["plan"]["max_extrapolation"],
    script:
        STAGE


rule predict_plan_figure:
    input:
        plan=f"{PREDICT}/plan.json",
    output:
        png=report(
            figure("predict_plan"),
            caption="../report/predict_plan.rst",
            category=PREDICT_CATEGORY,
            labels={"figure": "compute plan"},
        ),
        pdf=f"{RESULTS}/figures/predict_plan.pdf",
    log:
        f"{RESULTS}/logs/predict/plan.log",
    conda:
        ANALYSIS_ENV
    params:
        contour_law=config["predict"]["plan"]["contour_law"],
    script:
        STAGE


ALL_TARGETS += [figure(f"predict_extrapolation_{d}") for d in predict_datasets()]
ALL_TARGETS += [f"{PREDICT}/extrapolation_{d}_summary.csv" for d in predict_datasets()]
ALL_TARGETS += [figure("predict_plan"), f"{PREDICT}/plan.json"]
