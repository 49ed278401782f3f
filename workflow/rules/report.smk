# Rules: the report. `report_reading_page` builds the reading page (results/report/index.html, the
# DAG's final product, scalinglab.report) from every output any rule file marks with report():
# the same captions and categories Snakemake's own `--report` shows, in the papers' order.
# Also figure 13 and the run sanity table (run health). Helpers: common.smk.


# Figures, tables and downloads run on the submitting host (seconds; no cluster job).
localrules:
    report_expected_loss_bands,
    report_reading_page,


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
            category=report_category("health"),
            labels={"figure": "13 expected-loss bands"},
        ),
        table=report(
            f"{RESULTS}/report/loss_sanity.csv",
            caption="../report/loss_sanity.rst",
            category=report_category("health"),
            labels={"table": "final loss against references"},
        ),
    log:
        f"{RESULTS}/logs/report/report_expected_loss_bands.log",
    conda:
        ANALYSIS_ENV
    script:
        STAGE


ALL_TARGETS.extend(rules.report_expected_loss_bands.output)


rule report_reading_page:
    """The reading page: header, verdicts, one section per paper (every figure with its caption
    and tables), methods. Rebuilt when any figure, table, caption or the verdict table changes.
    """
    input:
        unpack(report_reading_page_input),
    output:
        page=report(
            READING_PAGE,
            caption="../report/report_reading_page.rst",
            category=report_category("reading"),
            labels={"page": "the reading page"},
        ),
    log:
        f"{RESULTS}/logs/report/report_reading_page.log",
    conda:
        ANALYSIS_ENV
    params:
        entries=lambda wc: report_entries(),
        # the captions quote the config (Jinja over snakemake.config, as in Snakemake's report)
        config=config,
        configfiles=report_configfiles(),
        data_source=config["data"]["source"],
        runs_table=RUNS_TABLE[0] if RUNS_TABLE else None,
        benchmarks=f"{RESULTS}/benchmarks",
        # only this workflow's benchmark files count (not those a renamed rule left behind)
        benchmark_patterns=lambda wc: sorted(
            {
                r.benchmark.regex().pattern
                for r in workflow.rules
                if r.benchmark is not None
            }
        ),
        methods=dict(
            flops_convention=config["train"]["flops_convention"],
            fit_params=config["fits"]["params"],
            fit_loss=config["fits"]["loss"],
            huber_delta=config["fits"]["huber_delta"],
            bootstrap_samples=config["fits"]["bootstrap_samples"],
            interval_level=config["fits"]["interval_level"],
            approach1_grid=config["fits"]["approach1_grid"],
            quanta_level=config["quantization"]["fit"]["level"],
        ),
    script:
        STAGE


ALL_TARGETS.append(READING_PAGE)
