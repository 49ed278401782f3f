# Rules: the report's own pieces (figure 13, run sanity table). The report itself is built by
# `snakemake --report results/report.html` from every output marked report() in any rule file.


# Figures, tables and downloads run on the submitting host (seconds; no cluster job).
localrules:
    report_expected_loss_bands,


rule report_expected_loss_bands:
    """Figure 13: validation curves beside the reference losses a run should land near."""
    input:
        metrics=lambda wc: [
            m
            for e in config["report"]["reference_experiments"]
            for m in run_metrics(e)
        ],
        summaries=lambda wc: [
            s
            for e in config["report"]["reference_experiments"]
            for s in run_summaries(e)
        ],
        val=VAL_JSON,
    output:
        figure=report(
            figure("report_expected_loss_bands"),
            caption="../report/report_expected_loss_bands.rst",
            category="Run health",
            labels={"figure": "13 expected-loss bands"},
        ),
        table=report(
            f"{RESULTS}/report/loss_sanity.csv",
            caption="../report/loss_sanity.rst",
            category="Run health",
            labels={"table": "final loss against references"},
        ),
    log:
        f"{RESULTS}/logs/report/report_expected_loss_bands.log",
    conda:
        ANALYSIS_ENV
    script:
        STAGE


ALL_TARGETS.extend(rules.report_expected_loss_bands.output)
