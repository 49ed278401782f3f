# Rules: the quantization model (Michaud et al. 2023) on multitask sparse parity.
# One job per (sweep, alpha): results/quanta/sweeps/{width,data}_a{alpha}.csv; then one fit and figure 12.
QUANTA = f"{RESULTS}/quanta"


def quanta_alphas():
    """The main alpha (panels a, b) and every alpha of the exponent sweep (panel c), as labels."""
    q = config["quantization"]
    alphas = [q["alpha"]] + list(q["exponent_sweep_alphas"])
    return sorted({f"{float(a):g}" for a in alphas}, key=float)


rule quanta_sweep:
    output:
        points=f"{QUANTA}/sweeps/{{sweep}}_a{{alpha}}.csv",
    log:
        f"{RESULTS}/logs/quanta/{{sweep}}_a{{alpha}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/quanta/{{sweep}}_a{{alpha}}.tsv"
    wildcard_constraints:
        sweep="width|data",
        alpha=r"[0-9.e+-]+",
    threads: lambda wildcards: config["quantization"]["threads"]
    resources:
        mem_mb=lambda wildcards: config["quantization"]["mem_mb"],
        runtime=lambda wildcards: config["quantization"]["runtime_min"],
        gpu=lambda wildcards: int(config["quantization"]["device"].startswith("cuda")),
    script:
        f"../../{SCRIPTS}/quanta_sweep.py"


rule quanta_fit:
    input:
        sweeps=expand(f"{QUANTA}/sweeps/{{sweep}}_a{{alpha}}.csv", sweep=["width", "data"], alpha=quanta_alphas()),
    output:
        points=f"{QUANTA}/points.csv",
        exponents=report(
            f"{QUANTA}/exponents.csv",
            caption="../report/quanta_exponents.rst",
            category="Michaud et al. 2023",
            labels={"table": "fitted exponents vs theory"},
        ),
    log:
        f"{RESULTS}/logs/quanta/fit.log",
    script:
        f"../../{SCRIPTS}/quanta_fit.py"


rule quanta_figure:
    input:
        points=rules.quanta_fit.output.points,
        exponents=rules.quanta_fit.output.exponents,
    output:
        png=report(
            figure("quanta_scaling"),
            caption="../report/quanta_scaling.rst",
            category="Michaud et al. 2023",
            labels={"figure": "12 quantization model"},
        ),
    log:
        f"{RESULTS}/logs/quanta/figure.log",
    script:
        f"../../{SCRIPTS}/quanta_figure.py"


ALL_TARGETS += [rules.quanta_fit.output.exponents, figure("quanta_scaling")]
