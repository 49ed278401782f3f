# Rules: scaling-law fits (Kaplan et al. 2020; Hoffmann et al. 2022 with Besiroglu et al. 2024's
# replication) and their figures 6-11. The science is scalinglab.fits; figures scalinglab.fits.figures.


# Figures, tables and downloads run on the submitting host (seconds; no cluster job).
localrules:
    fits_fetch_chinchilla_points,
    fits_export_runs_table,
    fits_kaplan_fig1_power_laws,
    fits_kaplan_fig4_loss_n_d,
    fits_kaplan_fig2_learning_curves,
    fits_chinchilla_fig3_isoflop,
    fits_chinchilla_fig4_contours,
    fits_chinchilla_public_refit,
    fits_data_constrained_figure,
    fits_runs_table_analyses,


rule fits_fetch_chinchilla_points:
    """Besiroglu et al. 2024's 245 points read off Chinchilla's Fig. 4 (needs internet)."""
    output:
        points=f"{FITS}/chinchilla_fig4_points.csv",
    log:
        f"{RESULTS}/logs/fits/fits_fetch_chinchilla_points.log",
    conda:
        ANALYSIS_ENV
    params:
        url=config["fits"]["chinchilla_points_url"],
    script:
        STAGE


rule fits_chinchilla_public:
    """Approach 3 (Huber on log L, 4,500-start L-BFGS grid) with bootstrap on the public points."""
    input:
        points=chinchilla_points_csv(),
    output:
        table=report(
            f"{FITS}/chinchilla_public_approach3.csv",
            caption="../report/fits_chinchilla_public_table.rst",
            category=CHINCHILLA_CAT,
            labels={"table": "public points: Approach 3"},
        ),
        bootstrap=f"{FITS}/chinchilla_public_bootstrap.csv",
        fit=f"{FITS}/chinchilla_public_fit.json",
    log:
        f"{RESULTS}/logs/fits/fits_chinchilla_public.log",
    benchmark:
        f"{RESULTS}/benchmarks/fits/fits_chinchilla_public.tsv"
    conda:
        ANALYSIS_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        drop_highest_loss=config["fits"]["drop_highest_loss"],
        huber_delta=config["fits"]["huber_delta"],
        bootstrap_samples=config["fits"]["bootstrap_samples"],
        interval_level=config["fits"]["interval_level"],
        seed=config["seed"],
    script:
        STAGE


rule fits_chinchilla_runs:
    """Approaches 1-3 on the pipeline's IsoFLOP grid (and the Kaplan runs on the full data)."""
    input:
        summaries=chinchilla_run_summaries,
        metrics=chinchilla_run_metrics,
        runs_table=RUNS_TABLE,
        val=fits_val,
    output:
        approach3=report(
            f"{FITS}/chinchilla_runs_approach3.csv",
            caption="../report/fits_chinchilla_runs_table.rst",
            category=CHINCHILLA_CAT,
            labels={"table": "own runs: Approach 3"},
        ),
        allocation=report(
            f"{FITS}/chinchilla_runs_allocation.csv",
            caption="../report/fits_chinchilla_allocation_table.rst",
            category=CHINCHILLA_CAT,
            labels={"table": "own runs: a and b"},
        ),
        irreducible=report(
            f"{FITS}/chinchilla_runs_irreducible.csv",
            caption="../report/fits_irreducible_table.rst",
            category=CHINCHILLA_CAT,
            labels={"table": "fitted E vs entropy"},
        ),
        isoflop=report(
            f"{FITS}/chinchilla_runs_isoflop.csv",
            caption="../report/fits_chinchilla_isoflop_table.rst",
            category=CHINCHILLA_CAT,
            labels={"table": "own runs: IsoFLOP minima"},
        ),
        fit=f"{FITS}/chinchilla_runs_fit.json",
    log:
        f"{RESULTS}/logs/fits/fits_chinchilla_runs.log",
    benchmark:
        f"{RESULTS}/benchmarks/fits/fits_chinchilla_runs.tsv"
    conda:
        ANALYSIS_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        n_column=config["fits"]["params"],
        loss_column=config["fits"]["loss"],
        huber_delta=config["fits"]["huber_delta"],
        bootstrap_samples=config["fits"]["bootstrap_samples"],
        interval_level=config["fits"]["interval_level"],
        seed=config["seed"],
        approach1_grid=config["fits"]["approach1_grid"],
        irreducible_tolerance=config["fits"]["irreducible_tolerance"],
        max_relative_width=config["verdicts"]["max_relative_width"],
        loss_units=config["fits"]["runs"]["loss_units"],
        approach3_min_steps=config["fits"]["approach3_min_steps"],
    script:
        STAGE


rule fits_kaplan_runs:
    """Kaplan's L(N), L(D), L(C_min), L(N, D), L(N, S) and frontier on the pipeline's runs."""
    input:
        summaries=kaplan_run_summaries,
        metrics=kaplan_run_metrics,
        runs_table=RUNS_TABLE,
        subsets=kaplan_subsets,
        val=fits_val,
    output:
        table=report(
            f"{FITS}/kaplan_runs.csv",
            caption="../report/fits_kaplan_table.rst",
            category=KAPLAN_CAT,
            labels={"table": "own runs: Kaplan laws"},
        ),
        irreducible=report(
            f"{FITS}/kaplan_runs_irreducible.csv",
            caption="../report/fits_irreducible_table.rst",
            category=KAPLAN_CAT,
            labels={"table": "fitted E vs entropy"},
        ),
        fit=f"{FITS}/kaplan_runs_fit.json",
    log:
        f"{RESULTS}/logs/fits/fits_kaplan_runs.log",
    benchmark:
        f"{RESULTS}/benchmarks/fits/fits_kaplan_runs.tsv"
    conda:
        ANALYSIS_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        n_column=config["fits"]["params"],
        loss_column=config["fits"]["loss"],
        bootstrap_samples=config["fits"]["bootstrap_samples"],
        interval_level=config["fits"]["interval_level"],
        seed=config["seed"],
        irreducible_tolerance=config["fits"]["irreducible_tolerance"],
        max_relative_width=config["verdicts"]["max_relative_width"],
        approach1_grid=config["fits"]["approach1_grid"],
        loss_units=config["fits"]["runs"]["loss_units"],
    script:
        STAGE


rule fits_export_runs_table:
    """The pipeline's runs in the bring-your-own format (a named target, not part of `all`)."""
    input:
        summaries=chinchilla_run_summaries,
        metrics=chinchilla_run_metrics,
        subsets=kaplan_subsets,
    output:
        table=f"{FITS}/runs_table.csv",
    log:
        f"{RESULTS}/logs/fits/fits_export_runs_table.log",
    conda:
        ANALYSIS_ENV
    params:
        n_column=config["fits"]["params"],
        loss_column=config["fits"]["loss"],
    script:
        STAGE


rule fits_data_constrained_runs:
    """Muennighoff et al. 2023's R_D* (R_N* where identified) on the runs that repeat data: the
    pipeline's (fits.data_constrained_experiments) or a runs table's (fits.runs.source: table).
    """
    input:
        summaries=data_constrained_summaries,
        runs_table=RUNS_TABLE,
    output:
        table=report(
            f"{FITS}/data_constrained_runs.csv",
            caption="../report/fits_data_constrained_table.rst",
            category=DATA_CONSTRAINED_CAT,
            labels={"table": "own runs: R_D* and the single-epoch law"},
        ),
        fit=f"{FITS}/data_constrained_runs_fit.json",
        points=f"{FITS}/data_constrained_runs_points.csv",
    log:
        f"{RESULTS}/logs/fits/fits_data_constrained_runs.log",
    benchmark:
        f"{RESULTS}/benchmarks/fits/fits_data_constrained_runs.tsv"
    conda:
        ANALYSIS_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        n_column=config["fits"]["params"],
        loss_column=config["fits"]["loss"],
        huber_delta=config["fits"]["huber_delta"],
        bootstrap_samples=config["fits"]["bootstrap_samples"],
        interval_level=config["fits"]["interval_level"],
        seed=config["seed"],
        loss_units=config["fits"]["runs"]["loss_units"],
    script:
        STAGE


rule fits_data_constrained_figure:
    """Figure 14: loss against tokens seen per unique-token budget, and D' against epochs
    (Muennighoff et al. 2023, Figs. 2-3)."""
    input:
        fit=rules.fits_data_constrained_runs.output.fit,
        points=rules.fits_data_constrained_runs.output.points,
    output:
        figure=report(
            figure("fits_data_constrained"),
            caption="../report/fits_data_constrained.rst",
            category=DATA_CONSTRAINED_CAT,
            labels={"figure": "14 repeated data (Muennighoff Figs. 2-3)"},
        ),
    log:
        f"{RESULTS}/logs/fits/fits_data_constrained_figure.log",
    conda:
        ANALYSIS_ENV
    script:
        STAGE


rule fits_runs_table_analyses:
    """Which analyses a runs table identifies and why the others are skipped."""
    input:
        runs_table=RUNS_TABLE,
    output:
        # the reading page's header lists it (rules/report.smk)
        table=f"{FITS}/runs_table_analyses.csv",
    log:
        f"{RESULTS}/logs/fits/fits_runs_table_analyses.log",
    conda:
        ANALYSIS_ENV
    params:
        loss_units=config["fits"]["runs"]["loss_units"],
    script:
        STAGE


# ---- figures 6-11: one rule each, named targets under results/figures/


rule fits_kaplan_fig1_power_laws:
    """Figure 6: loss against compute, data and parameters with power-law fits (Kaplan Fig. 1)."""
    input:
        fit=rules.fits_kaplan_runs.output.fit,
        metrics=lambda wc: run_metrics(fit_experiment("kaplan_experiment")),
        summaries=lambda wc: run_summaries(fit_experiment("kaplan_experiment")),
    output:
        figure=report(
            figure("fits_kaplan_fig1_power_laws"),
            caption="../report/fits_kaplan_fig1_power_laws.rst",
            category=KAPLAN_CAT,
            labels={"figure": "06 power laws (Kaplan Fig. 1)"},
        ),
    log:
        f"{RESULTS}/logs/fits/fits_kaplan_fig1_power_laws.log",
    conda:
        ANALYSIS_ENV
    params:
        n_column=config["fits"]["params"],
        loss_column=config["fits"]["loss"],
    script:
        STAGE


rule fits_kaplan_fig4_loss_n_d:
    """Figure 7: L(N, D) across data sizes (Kaplan Fig. 4)."""
    input:
        fit=rules.fits_kaplan_runs.output.fit,
        metrics=lambda wc: run_metrics(fit_experiment("kaplan_experiment")),
        summaries=lambda wc: run_summaries(fit_experiment("kaplan_experiment")),
    output:
        figure=report(
            figure("fits_kaplan_fig4_loss_n_d"),
            caption="../report/fits_kaplan_fig4_loss_n_d.rst",
            category=KAPLAN_CAT,
            labels={"figure": "07 L(N, D) (Kaplan Fig. 4)"},
        ),
    log:
        f"{RESULTS}/logs/fits/fits_kaplan_fig4_loss_n_d.log",
    conda:
        ANALYSIS_ENV
    script:
        STAGE


rule fits_kaplan_fig2_learning_curves:
    """Figure 8: learning curves coloured by model size with L(N, S) (Kaplan Fig. 2)."""
    input:
        fit=rules.fits_kaplan_runs.output.fit,
        metrics=lambda wc: run_metrics(fit_experiment("kaplan_experiment")),
        summaries=lambda wc: run_summaries(fit_experiment("kaplan_experiment")),
    output:
        figure=report(
            figure("fits_kaplan_fig2_learning_curves"),
            caption="../report/fits_kaplan_fig2_learning_curves.rst",
            category=KAPLAN_CAT,
            labels={"figure": "08 learning curves (Kaplan Fig. 2)"},
        ),
    log:
        f"{RESULTS}/logs/fits/fits_kaplan_fig2_learning_curves.log",
    conda:
        ANALYSIS_ENV
    params:
        n_column=config["fits"]["params"],
        loss_column=config["fits"]["loss"],
    script:
        STAGE


rule fits_chinchilla_fig3_isoflop:
    """Figure 9: envelope, IsoFLOP parabolas, N_opt and D_opt against compute (Chinchilla Figs. 2-3)."""
    input:
        fit=rules.fits_chinchilla_runs.output.fit,
        metrics=chinchilla_run_metrics,
        summaries=chinchilla_run_summaries,
    output:
        figure=report(
            figure("fits_chinchilla_fig3_isoflop"),
            caption="../report/fits_chinchilla_fig3_isoflop.rst",
            category=CHINCHILLA_CAT,
            labels={"figure": "09 IsoFLOP (Chinchilla Figs. 2-3)"},
        ),
    log:
        f"{RESULTS}/logs/fits/fits_chinchilla_fig3_isoflop.log",
    conda:
        ANALYSIS_ENV
    params:
        n_column=config["fits"]["params"],
        loss_column=config["fits"]["loss"],
    script:
        STAGE


rule fits_chinchilla_fig4_contours:
    """Figure 10: loss contours and the efficient frontier from Approach 3 (Chinchilla Fig. 4)."""
    input:
        fit=rules.fits_chinchilla_runs.output.fit,
    output:
        figure=report(
            figure("fits_chinchilla_fig4_contours"),
            caption="../report/fits_chinchilla_fig4_contours.rst",
            category=CHINCHILLA_CAT,
            labels={"figure": "10 contours (Chinchilla Fig. 4)"},
        ),
    log:
        f"{RESULTS}/logs/fits/fits_chinchilla_fig4_contours.log",
    conda:
        ANALYSIS_ENV
    script:
        STAGE


rule fits_chinchilla_public_refit:
    """Figure 11: the public points refit against the published law, residuals, D/N with bands."""
    input:
        points=chinchilla_points_csv(),
        fit=rules.fits_chinchilla_public.output.fit,
        bootstrap=rules.fits_chinchilla_public.output.bootstrap,
    output:
        figure=report(
            figure("fits_chinchilla_public_refit"),
            caption="../report/fits_chinchilla_public_refit.rst",
            category=CHINCHILLA_CAT,
            labels={"figure": "11 public-points refit"},
        ),
    log:
        f"{RESULTS}/logs/fits/fits_chinchilla_public_refit.log",
    conda:
        ANALYSIS_ENV
    params:
        drop_highest_loss=config["fits"]["drop_highest_loss"],
        interval_level=config["fits"]["interval_level"],
    script:
        STAGE


ALL_TARGETS.extend(rules.fits_chinchilla_public.output)
ALL_TARGETS.extend(rules.fits_chinchilla_public_refit.output)
if RUNS_TABLE:
    # A runs table: the fits its contents identify (scalinglab.fits.runs_table.analyses).
    if RUNS_TABLE_ANALYSES["Kaplan forms"]:
        ALL_TARGETS.extend(rules.fits_kaplan_runs.output)
    ALL_TARGETS.extend(rules.fits_runs_table_analyses.output)
    if RUNS_TABLE_ANALYSES["Data-constrained R_D*"]:
        ALL_TARGETS.extend(rules.fits_data_constrained_runs.output)
        ALL_TARGETS.extend(rules.fits_data_constrained_figure.output)
    if RUNS_TABLE_ANALYSES["Approach 3"]:
        ALL_TARGETS.extend(rules.fits_chinchilla_runs.output)
        ALL_TARGETS.extend(rules.fits_chinchilla_fig4_contours.output)
elif fit_experiment("kaplan_experiment") in config["experiments"]:
    ALL_TARGETS.extend(rules.fits_kaplan_runs.output)
    ALL_TARGETS.extend(
        rules.fits_kaplan_fig1_power_laws.output
        + rules.fits_kaplan_fig4_loss_n_d.output
        + rules.fits_kaplan_fig2_learning_curves.output
    )
if not RUNS_TABLE and fit_experiment("isoflop_experiment") in config["experiments"]:
    ALL_TARGETS.extend(rules.fits_chinchilla_runs.output)
    ALL_TARGETS.extend(
        rules.fits_chinchilla_fig3_isoflop.output
        + rules.fits_chinchilla_fig4_contours.output
    )
if not RUNS_TABLE and data_constrained_configured():
    ALL_TARGETS.extend(rules.fits_data_constrained_runs.output)
    ALL_TARGETS.extend(rules.fits_data_constrained_figure.output)
