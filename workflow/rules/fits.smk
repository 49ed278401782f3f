# Rules: scaling-law fits (Kaplan et al. 2020; Hoffmann et al. 2022 with Besiroglu et al. 2024's
# replication) and their figures 6-11. The science is scalinglab.fits; figures scalinglab.figures.
FITS = f"{RESULTS}/fits"
KAPLAN_CAT = "Kaplan et al. 2020"
CHINCHILLA_CAT = "Hoffmann et al. 2022"


def chinchilla_points_csv():
    """The public points: a local file named in the config, else the downloaded copy."""
    return config["fits"]["chinchilla_points"] or f"{FITS}/chinchilla_fig4_points.csv"


def fit_experiment(key):
    return config["fits"][key]


def kaplan_subsets(wildcards=None):
    exp = config["experiments"].get(fit_experiment("kaplan_experiment"))
    return [] if exp is None else [subset_json(f) for f in exp["fractions"]]


def chinchilla_run_summaries(wildcards=None):
    """Approach 1 reads the learning curves of both experiments, Approaches 2-3 their finals."""
    return run_summaries(fit_experiment("isoflop_experiment")) + run_summaries(
        fit_experiment("kaplan_experiment"))


def chinchilla_run_metrics(wildcards=None):
    return run_metrics(fit_experiment("isoflop_experiment")) + run_metrics(
        fit_experiment("kaplan_experiment"))


rule fetch_chinchilla_points:
    """Besiroglu et al. 2024's 245 points read off Chinchilla's Fig. 4 (needs internet)."""
    output:
        points=f"{FITS}/chinchilla_fig4_points.csv",
    log:
        f"{RESULTS}/logs/fits/fetch_chinchilla_points.log",
    params:
        url=config["fits"]["chinchilla_points_url"],
    script:
        "../scripts/fit_fetch_chinchilla_points.py"


rule fit_chinchilla_public:
    """Approach 3 (Huber on log L, 4,500-start L-BFGS grid) with bootstrap on the public points."""
    input:
        points=chinchilla_points_csv(),
    output:
        table=report(f"{FITS}/chinchilla_public_approach3.csv",
                     caption="../report/fit_chinchilla_public_table.rst",
                     category=CHINCHILLA_CAT, labels={"table": "public points: Approach 3"}),
        bootstrap=f"{FITS}/chinchilla_public_bootstrap.csv",
        fit=f"{FITS}/chinchilla_public_fit.json",
    log:
        f"{RESULTS}/logs/fits/fit_chinchilla_public.log",
    benchmark:
        f"{RESULTS}/benchmarks/fits/fit_chinchilla_public.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/fit_chinchilla_public.py"


rule fit_chinchilla_runs:
    """Approaches 1-3 on the pipeline's IsoFLOP grid (and the Kaplan runs on the full data)."""
    input:
        summaries=chinchilla_run_summaries,
        metrics=chinchilla_run_metrics,
        val=VAL_JSON,
    output:
        approach3=report(f"{FITS}/chinchilla_runs_approach3.csv",
                         caption="../report/fit_chinchilla_runs_table.rst",
                         category=CHINCHILLA_CAT, labels={"table": "own runs: Approach 3"}),
        allocation=report(f"{FITS}/chinchilla_runs_allocation.csv",
                          caption="../report/fit_chinchilla_allocation_table.rst",
                          category=CHINCHILLA_CAT, labels={"table": "own runs: a and b"}),
        irreducible=report(f"{FITS}/chinchilla_runs_irreducible.csv",
                           caption="../report/fit_irreducible_table.rst",
                           category=CHINCHILLA_CAT, labels={"table": "fitted E vs entropy"}),
        isoflop=report(f"{FITS}/chinchilla_runs_isoflop.csv",
                       caption="../report/fit_chinchilla_isoflop_table.rst",
                       category=CHINCHILLA_CAT, labels={"table": "own runs: IsoFLOP minima"}),
        fit=f"{FITS}/chinchilla_runs_fit.json",
    log:
        f"{RESULTS}/logs/fits/fit_chinchilla_runs.log",
    benchmark:
        f"{RESULTS}/benchmarks/fits/fit_chinchilla_runs.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/fit_chinchilla_runs.py"


rule fit_kaplan_runs:
    """Kaplan's L(N), L(D), L(C_min), L(N, D), L(N, S) and frontier on the pipeline's runs."""
    input:
        summaries=lambda wc: run_summaries(fit_experiment("kaplan_experiment")),
        metrics=lambda wc: run_metrics(fit_experiment("kaplan_experiment")),
        subsets=kaplan_subsets,
        val=VAL_JSON,
    output:
        table=report(f"{FITS}/kaplan_runs.csv", caption="../report/fit_kaplan_table.rst",
                     category=KAPLAN_CAT, labels={"table": "own runs: Kaplan laws"}),
        irreducible=report(f"{FITS}/kaplan_runs_irreducible.csv",
                           caption="../report/fit_irreducible_table.rst",
                           category=KAPLAN_CAT, labels={"table": "fitted E vs entropy"}),
        fit=f"{FITS}/kaplan_runs_fit.json",
    log:
        f"{RESULTS}/logs/fits/fit_kaplan_runs.log",
    benchmark:
        f"{RESULTS}/benchmarks/fits/fit_kaplan_runs.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/fit_kaplan_runs.py"


# ---- figures 6-11: one rule each, named targets under results/figures/

rule fig_kaplan_power_laws:
    """Figure 6: loss against compute, data and parameters with power-law fits (Kaplan Fig. 1)."""
    input:
        fit=rules.fit_kaplan_runs.output.fit,
        metrics=lambda wc: run_metrics(fit_experiment("kaplan_experiment")),
        summaries=lambda wc: run_summaries(fit_experiment("kaplan_experiment")),
    output:
        figure=report(figure("kaplan_fig1_power_laws"), caption="../report/fig_kaplan_power_laws.rst",
                      category=KAPLAN_CAT, labels={"figure": "06 power laws (Kaplan Fig. 1)"}),
    log:
        f"{RESULTS}/logs/fits/fig_kaplan_power_laws.log",
    script:
        "../scripts/fig_kaplan.py"


rule fig_kaplan_joint:
    """Figure 7: L(N, D) across data sizes (Kaplan Fig. 4)."""
    input:
        fit=rules.fit_kaplan_runs.output.fit,
        metrics=lambda wc: run_metrics(fit_experiment("kaplan_experiment")),
        summaries=lambda wc: run_summaries(fit_experiment("kaplan_experiment")),
    output:
        figure=report(figure("kaplan_fig4_loss_n_d"), caption="../report/fig_kaplan_joint.rst",
                      category=KAPLAN_CAT, labels={"figure": "07 L(N, D) (Kaplan Fig. 4)"}),
    log:
        f"{RESULTS}/logs/fits/fig_kaplan_joint.log",
    script:
        "../scripts/fig_kaplan.py"


rule fig_kaplan_learning_curves:
    """Figure 8: learning curves coloured by model size with L(N, S) (Kaplan Fig. 2)."""
    input:
        fit=rules.fit_kaplan_runs.output.fit,
        metrics=lambda wc: run_metrics(fit_experiment("kaplan_experiment")),
        summaries=lambda wc: run_summaries(fit_experiment("kaplan_experiment")),
    output:
        figure=report(figure("kaplan_fig2_learning_curves"),
                      caption="../report/fig_kaplan_learning_curves.rst",
                      category=KAPLAN_CAT, labels={"figure": "08 learning curves (Kaplan Fig. 2)"}),
    log:
        f"{RESULTS}/logs/fits/fig_kaplan_learning_curves.log",
    script:
        "../scripts/fig_kaplan.py"


rule fig_chinchilla_isoflop:
    """Figure 9: envelope, IsoFLOP parabolas, N_opt and D_opt against compute (Chinchilla Figs. 2-3)."""
    input:
        fit=rules.fit_chinchilla_runs.output.fit,
        metrics=chinchilla_run_metrics,
        summaries=chinchilla_run_summaries,
    output:
        figure=report(figure("chinchilla_isoflop"), caption="../report/fig_chinchilla_isoflop.rst",
                      category=CHINCHILLA_CAT, labels={"figure": "09 IsoFLOP (Chinchilla Figs. 2-3)"}),
    log:
        f"{RESULTS}/logs/fits/fig_chinchilla_isoflop.log",
    script:
        "../scripts/fig_chinchilla.py"


rule fig_chinchilla_contours:
    """Figure 10: loss contours and the efficient frontier from Approach 3 (Chinchilla Fig. 4)."""
    input:
        fit=rules.fit_chinchilla_runs.output.fit,
    output:
        figure=report(figure("chinchilla_loss_contours"),
                      caption="../report/fig_chinchilla_contours.rst",
                      category=CHINCHILLA_CAT, labels={"figure": "10 contours (Chinchilla Fig. 4)"}),
    log:
        f"{RESULTS}/logs/fits/fig_chinchilla_contours.log",
    script:
        "../scripts/fig_chinchilla.py"


rule fig_chinchilla_public_refit:
    """Figure 11: the public points refit against the published law, residuals, D/N with bands."""
    input:
        points=chinchilla_points_csv(),
        fit=rules.fit_chinchilla_public.output.fit,
        bootstrap=rules.fit_chinchilla_public.output.bootstrap,
    output:
        figure=report(figure("chinchilla_public_refit"),
                      caption="../report/fig_chinchilla_public_refit.rst",
                      category=CHINCHILLA_CAT, labels={"figure": "11 public-points refit"}),
    log:
        f"{RESULTS}/logs/fits/fig_chinchilla_public_refit.log",
    script:
        "../scripts/fig_chinchilla.py"


ALL_TARGETS.extend(rules.fit_chinchilla_public.output)
ALL_TARGETS.extend(rules.fig_chinchilla_public_refit.output)
if fit_experiment("kaplan_experiment") in config["experiments"]:
    ALL_TARGETS.extend(rules.fit_kaplan_runs.output)
    ALL_TARGETS.extend(rules.fig_kaplan_power_laws.output + rules.fig_kaplan_joint.output
                       + rules.fig_kaplan_learning_curves.output)
if fit_experiment("isoflop_experiment") in config["experiments"]:
    ALL_TARGETS.extend(rules.fit_chinchilla_runs.output)
    ALL_TARGETS.extend(rules.fig_chinchilla_isoflop.output + rules.fig_chinchilla_contours.output)
