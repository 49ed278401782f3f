# Rules: Niu et al.'s N = O(D²) measured (issue 13 item 5). One job per pattern count D: bisection
# over the GPT ladder for the smallest model that memorises D patterns; then the exponent fit of
# N_min against D and the figure. The science lives in scalinglab.capacity.
import json

CAPACITY = f"{RESULTS}/capacity"


def capacity_searches():
    return [f"{CAPACITY}/search/D{d}.json" for d in config["capacity"]["pattern_counts"]]


def capacity_fit_values(path):
    """fit.json's numbers for the captions once the fit exists ({} before). The params using it are
    functions of the input or output files, so Snakemake does not count them as parameter changes."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else {}


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
        "../../envs/analysis.yaml"
    params:
        patterns=lambda wc: config["capacity"]["patterns"],
        ladder=lambda wc: config["capacity"]["ladder"],
        train=lambda wc: config["capacity"]["train"],
        criterion_fraction=lambda wc: config["capacity"]["criterion_fraction"],
        params=lambda wc: config["capacity"]["params"],
        seed_offset=lambda wc: config["capacity"]["seed_offset"],
        device=lambda wc: config["capacity"]["device"],
        seed=config["seed"],
    threads: lambda wildcards: config["capacity"]["threads"]
    resources:
        mem_mb=lambda wildcards: config["capacity"]["mem_mb"],
        runtime=lambda wildcards: config["capacity"]["runtime_min"],
        gpu=lambda wildcards: int(config["capacity"]["device"].startswith("cuda")),
    script:
        "../scripts/capacity_search.py"


rule capacity_fit:
    """N_min ∝ D^b: least squares in log-log, bracket-aware bootstrap interval at fits.interval_level."""
    input:
        searches=capacity_searches(),
    output:
        fit=report(f"{CAPACITY}/fit.json", caption="../report/capacity_fit.rst", category="Niu et al. 2024",
                   labels={"table": "capacity: exponent of N_min against D"}),
        runs=f"{CAPACITY}/runs.csv",
    log:
        f"{RESULTS}/logs/capacity/fit.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        patterns=lambda wc: config["capacity"]["patterns"],
        train=lambda wc: config["capacity"]["train"],
        criterion_fraction=lambda wc: config["capacity"]["criterion_fraction"],
        params=lambda wc: config["capacity"]["params"],
        level=lambda wc: config["fits"]["interval_level"],
        bootstrap_samples=lambda wc: config["capacity"]["bootstrap_samples"],
        seed=config["seed"],
        fit=lambda wc, output: capacity_fit_values(output.fit),
    script:
        "../scripts/capacity_fit.py"


rule capacity_figure:
    """N_min against D (log-log) with the fitted line and reference slopes 1, 1.35, 2."""
    input:
        fit=rules.capacity_fit.output.fit,
    output:
        figure=report(figure("capacity_n_vs_d"), caption="../report/capacity_n_vs_d.rst",
                      category="Niu et al. 2024", labels={"figure": "05b N_min against D (capacity)"}),
    log:
        f"{RESULTS}/logs/capacity/figure.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        fit=lambda wc, input: capacity_fit_values(input.fit),
    script:
        "../scripts/capacity_figure.py"


ALL_TARGETS.extend([rules.capacity_fit.output.fit, rules.capacity_fit.output.runs, rules.capacity_figure.output.figure])
