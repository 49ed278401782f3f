# Rules: the quantization model (Michaud et al. 2023) on multitask sparse parity.
# One job per (sweep, alpha): results/quantization/sweeps/{width,data}_a{alpha}.csv and the per-subtask
# learning curves curves/{width,data}_a{alpha}.csv; then one fit (exponents.csv, one row per alpha),
# figure 12; the subtask run (one wide net on a task with many bits: long plateaus) and figure 13.


# Figures, tables and downloads run on the submitting host (seconds; no cluster job).
localrules:
    quantization_fit,
    quantization_scaling,
    quantization_subtask_curves,


rule quantization_sweep:
    output:
        points=f"{QUANTIZATION}/sweeps/{{sweep}}_a{{alpha}}.csv",
        curves=f"{QUANTIZATION}/curves/{{sweep}}_a{{alpha}}.csv",
    log:
        f"{RESULTS}/logs/quantization/{{sweep}}_a{{alpha}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/quantization/{{sweep}}_a{{alpha}}.tsv"
    conda:
        ANALYSIS_ENV
    threads: lambda wildcards: config["quantization"]["threads"]
    resources:
        mem_mb=lambda wildcards: config["quantization"]["mem_mb"],
        runtime=lambda wildcards: config["quantization"]["runtime_min"],
        gpu=lambda wildcards: int(config["quantization"]["device"].startswith("cuda")),
    params:
        sweep=lambda wc: wc.sweep,
        alpha=lambda wc: float(wc.alpha),
        n_tasks=config["quantization"]["n_tasks"],
        n_bits=config["quantization"]["n_bits"],
        k=config["quantization"]["k"],
        task_seed=config["seed"],
        seed=config["seed"] + config["quantization"]["seed_offset"],
        test_per_task=config["quantization"]["test_per_task"],
        device=config["quantization"]["device"],
        settings=lambda wc: config["quantization"][f"{wc.sweep}_sweep"],
    script:
        STAGE


rule quantization_fit:
    input:
        sweeps=expand(
            f"{QUANTIZATION}/sweeps/{{sweep}}_a{{alpha}}.csv",
            sweep=["width", "data"],
            alpha=quantization_alphas(),
        ),
    output:
        points=f"{QUANTIZATION}/points.csv",
        fits=f"{QUANTIZATION}/fits.csv",
        exponents=report(
            f"{QUANTIZATION}/exponents.csv",
            caption="../report/quantization_exponents.rst",
            category=report_category("quantization"),
            labels={"table": "fitted exponents vs theory"},
        ),
    log:
        f"{RESULTS}/logs/quantization/fit.log",
    conda:
        ANALYSIS_ENV
    params:
        n_tasks=config["quantization"]["n_tasks"],
        min_quanta=config["quantization"]["fit"]["min_quanta"],
        max_quanta_fraction=config["quantization"]["fit"]["max_quanta_fraction"],
        level=config["quantization"]["fit"]["level"],
    script:
        STAGE


rule quantization_scaling:
    input:
        points=rules.quantization_fit.output.points,
        fits=rules.quantization_fit.output.fits,
    output:
        png=report(
            figure("quantization_scaling"),
            caption="../report/quantization_scaling.rst",
            category=report_category("quantization"),
            labels={"figure": "12 quantization model"},
        ),
    log:
        f"{RESULTS}/logs/quantization/figure.log",
    conda:
        ANALYSIS_ENV
    params:
        alpha=float(config["quantization"]["alpha"]),
    script:
        STAGE


rule quantization_subtask_run:
    """One wide net on a task with many bits (each parity a long plateau): every subtask's test loss."""
    output:
        curves=f"{QUANTIZATION}/curves/subtask_run.csv",
    log:
        f"{RESULTS}/logs/quantization/subtask_run.log",
    benchmark:
        f"{RESULTS}/benchmarks/quantization/subtask_run.tsv"
    conda:
        ANALYSIS_ENV
    threads: lambda wildcards: config["quantization"]["threads"]
    resources:
        mem_mb=lambda wildcards: config["quantization"]["mem_mb"],
        runtime=lambda wildcards: config["quantization"]["runtime_min"],
        gpu=lambda wildcards: int(config["quantization"]["device"].startswith("cuda")),
    params:
        alpha=float(config["quantization"]["alpha"]),
        n_tasks=config["quantization"]["n_tasks"],
        n_bits=config["quantization"]["subtask_run"]["n_bits"],
        k=config["quantization"]["k"],
        task_seed=config["seed"],
        seed=config["seed"] + config["quantization"]["seed_offset"],
        test_per_task=config["quantization"]["test_per_task"],
        device=config["quantization"]["device"],
        settings={
            k: v
            for k, v in config["quantization"]["subtask_run"].items()
            if k != "n_bits"
        },
    script:
        STAGE


rule quantization_subtask_curves:
    """Per-subtask learning curves (Michaud et al. 2023, Section 3: is each quantum learned abruptly?)."""
    input:
        curves=rules.quantization_subtask_run.output.curves,
        width_curves=f"{QUANTIZATION}/curves/width_a{float(config['quantization']['alpha']):g}.csv",
    output:
        png=report(
            figure("quantization_subtask_curves"),
            caption="../report/quantization_subtask_curves.rst",
            category=report_category("quantization"),
            labels={"figure": "13 subtask learning curves"},
        ),
        transitions=f"{QUANTIZATION}/subtask_transitions.csv",
    log:
        f"{RESULTS}/logs/quantization/subtask_curves.log",
    conda:
        ANALYSIS_ENV
    params:
        alpha=float(config["quantization"]["alpha"]),
        n_bits=config["quantization"]["subtask_run"]["n_bits"],
        width_n_bits=config["quantization"]["n_bits"],
    script:
        STAGE


ALL_TARGETS += [
    rules.quantization_fit.output.exponents,
    figure("quantization_scaling"),
    figure("quantization_subtask_curves"),
    rules.quantization_subtask_curves.output.transitions,
]
