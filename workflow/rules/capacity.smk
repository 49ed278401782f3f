# Rules: Niu et al.'s N = O(D²) measured (issue 13 item 5). One job per pattern count D: bisection
# over the GPT ladder for the smallest model that memorises D patterns; then the exponent fit of
# N_min against D on the capacity-limited points (not censored by the ladder's ends or the step
# budget) and the figure. The science lives in scalinglab.capacity (stages.<rule>).


# Fit and figure take seconds: they run on the submitting host.
localrules:
    capacity_fit,
    capacity_figure,


rule capacity_search:
    """Smallest ladder rung memorising the first D patterns: bisection, one training per probe."""
    output:
        search=f"{CAPACITY}/search/D{{patterns}}.json",
    log:
        f"{RESULTS}/logs/capacity/search_D{{patterns}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/capacity/search_D{{patterns}}.tsv"
    wildcard_constraints:
        patterns=r"[0-9]+",
    conda:
        ANALYSIS_ENV
    threads: lambda wildcards: config["capacity"]["threads"]
    resources:
        mem_mb=lambda wildcards: config["capacity"]["mem_mb"],
        runtime=lambda wildcards: config["capacity"]["runtime_min"],
        gpu=lambda wildcards: int(config["capacity"]["device"].startswith("cuda")),
    params:
        n_patterns=lambda wc: int(wc.patterns),
        patterns=config["capacity"]["patterns"],
        ladder=config["capacity"]["ladder"],
        train=config["capacity"]["train"],
        criterion_fraction=config["capacity"]["criterion_fraction"],
        param_count=config["capacity"]["params"],
        seed=config["seed"] + config["capacity"]["seed_offset"],
        device=config["capacity"]["device"],
    script:
        STAGE


rule capacity_fit:
    """N_min ∝ D^b on the capacity-limited D (censored ones left out): least squares in log-log,
    bracket-aware bootstrap interval at fits.interval_level."""
    input:
        searches=capacity_searches(),
    output:
        fit=report(
            f"{CAPACITY}/fit.json",
            caption="../report/capacity_fit.rst",
            category=report_category("niu"),
            labels={"table": "capacity: exponent of N_min against D"},
        ),
        runs=f"{CAPACITY}/runs.csv",
    log:
        f"{RESULTS}/logs/capacity/fit.log",
    conda:
        ANALYSIS_ENV
    params:
        patterns=config["capacity"]["patterns"],
        train=config["capacity"]["train"],
        criterion_fraction=config["capacity"]["criterion_fraction"],
        param_count=config["capacity"]["params"],
        level=config["fits"]["interval_level"],
        bootstrap_samples=config["capacity"]["bootstrap_samples"],
        seed=config["seed"],
        caption_fit=lambda wc, output: capacity_caption_fit(output.fit),
    script:
        STAGE


rule capacity_figure:
    """N_min against D (log-log) with the fitted line and reference slopes 1, 1.35, 2."""
    input:
        fit=rules.capacity_fit.output.fit,
    output:
        figure=report(
            figure("capacity_n_vs_d"),
            caption="../report/capacity_n_vs_d.rst",
            category=report_category("niu"),
            labels={"figure": "05b N_min against D (capacity)"},
        ),
    log:
        f"{RESULTS}/logs/capacity/figure.log",
    conda:
        ANALYSIS_ENV
    params:
        caption_fit=lambda wc, input: capacity_caption_fit(input.fit),
    script:
        STAGE


ALL_TARGETS.extend(
    [
        rules.capacity_fit.output.fit,
        rules.capacity_fit.output.runs,
        rules.capacity_figure.output.figure,
    ]
)
