# Rules: the report. `report_reading_page` builds the reading page (results/report/index.html, the
# DAG's final product, scalinglab.report) from every output any rule file marks with report():
# the same captions and categories Snakemake's own `--report` shows, in the papers' order.
# Also figure 13 and the run sanity table (run health).
from pathlib import Path as _Path

from snakemake.iocontainers import Wildcards as _Wildcards
from snakemake.io import get_flag_value as _get_flag_value
from snakemake.io import is_flagged as _is_flagged
from snakemake.iocontainers import InputFiles as _InputFiles
from snakemake.io import apply_wildcards as _apply_wildcards

READING_PAGE = f"{RESULTS}/report/index.html"
VERDICTS_CSV = f"{RESULTS}/verdicts/verdicts.csv"
REPORT_TEMPLATES = "workflow/scalinglab/report/templates"


rule report_expected_loss_bands:
    """Figure 13: validation curves beside the reference losses a run should land near."""
    input:
        metrics=lambda wc: [m for e in config["report"]["reference_experiments"] for m in run_metrics(e)],
        summaries=lambda wc: [s for e in config["report"]["reference_experiments"] for s in run_summaries(e)],
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
    script:
        "../scripts/report_expected_loss_bands.py"


ALL_TARGETS.extend(rules.report_expected_loss_bands.output)


def report_entries():
    """Every output of `rule all` marked report(), in ALL_TARGETS order, as plain dicts: path,
    producing rule and rule file, category, labels, caption file, wildcards and params (what the
    caption's Jinja needs, the same context Snakemake's report renders it with)."""
    entries, seen = [], set()
    for target in map(str, ALL_TARGETS):
        if target in (READING_PAGE, VERDICTS_CSV) or target in seen:  # the page shows the verdicts itself
            continue
        for r in workflow.rules:
            out = next((o for o in r.output if _is_flagged(o, "report") and o.match(target)), None)
            if out is None:
                continue
            seen.add(target)
            flag = _get_flag_value(out, "report")
            wc = r.get_wildcards(target)
            wildcards = _Wildcards(fromdict=wc)
            output = r.expand_output(wildcards)[0]
            params, _ = r.expand_params(wildcards, input=_InputFiles(), output=output, job=None)
            caption = None if flag.caption is None else flag.caption.get_path_or_uri(secret_free=True)
            entries.append(dict(
                path=target, rule=r.name, analysis=_Path(r.snakefile).stem,
                category=None if flag.category is None else _apply_wildcards(flag.category, wc),
                subcategory=None if flag.subcategory is None else _apply_wildcards(flag.subcategory, wc),
                labels={k: _apply_wildcards(str(v), wc) for k, v in (flag.labels or {}).items()},
                caption=None if caption is None else os.path.relpath(caption),
                wildcards=dict(wc), params=dict(params.items()),
            ))
            break
    return entries


def report_configfiles():
    """The config files of this run, the base first and each override after it."""
    overrides = [os.path.relpath(str(f)) for f in workflow.overwrite_configfiles or []]
    loaded = [os.path.relpath(str(f)) for f in workflow.configfiles]
    return [f for f in loaded if f not in overrides] + overrides


def verdicts_csv():
    """The verdict table when a rule of this workflow writes it (rules/verdicts.smk), else none."""
    return [VERDICTS_CSV] if any(r.is_producer(VERDICTS_CSV) for r in workflow.rules) else []


def report_reading_page_input(wildcards):
    entries = report_entries()
    return dict(
        files=[e["path"] for e in entries],
        captions=sorted({e["caption"] for e in entries if e["caption"]}),
        verdicts=verdicts_csv(),
        templates=[f"{REPORT_TEMPLATES}/page.html.j2", f"{REPORT_TEMPLATES}/page.css"],
    )


rule report_reading_page:
    """The reading page: header, verdicts, one section per paper (every figure with its caption
    and tables), methods. Rebuilt when any figure, table, caption or the verdict table changes."""
    input:
        unpack(report_reading_page_input),
    output:
        page=report(READING_PAGE, caption="../report/report_reading_page.rst",
                    category=report_category("reading"), labels={"page": "the reading page"}),
    log:
        f"{RESULTS}/logs/report/report_reading_page.log",
    conda:
        "../../envs/analysis.yaml"
    params:
        entries=lambda wc: report_entries(),
        configfiles=report_configfiles(),
        data_source=config["data"]["source"],
        benchmarks=f"{RESULTS}/benchmarks",
        # only this workflow's benchmark files count (not those a renamed rule left behind)
        benchmark_patterns=lambda wc: sorted({r.benchmark.regex().pattern for r in workflow.rules
                                              if r.benchmark is not None}),
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
        "../scripts/report_reading_page.py"


ALL_TARGETS.append(READING_PAGE)
