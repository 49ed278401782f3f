"""The reading page (scalinglab.report): captions, tables, verdicts, run cost, assembly; and the
browser check on a page built from a small fixture results tree (tests/report_fixture.py)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from report_fixture import VERDICTS_FIXTURE, build_fixture_page, demo_config
from scalinglab.report import ReportError, report_category
from scalinglab.report.page import VERDICT_COLUMNS, Entry, benchmark_totals, render_caption
from scalinglab.report.page import category_name, read_verdicts, table_html, verdict_rows

CAPTIONS = Path(__file__).resolve().parents[1] / "workflow" / "report"


@pytest.fixture(scope="module")
def fixture_page(tmp_path_factory):
    root = tmp_path_factory.mktemp("reading_page")
    return build_fixture_page(root)


def test_every_caption_renders_with_the_demo_config():
    """Each .rst caption is Jinja over snakemake.config/wildcards, then RST: both must succeed and
    quote the config (no unrendered Jinja, no docutils error box)."""
    config = demo_config()
    for rst in sorted(CAPTIONS.glob("*.rst")):
        if rst.name == "workflow.rst":
            continue
        entry = Entry(path="results/x.png", rule="r", analysis="a", caption=str(rst),
                      wildcards={"dataset": "runs"})
        out = render_caption(rst.read_text(), config, entry)
        assert len(re.sub("<[^>]+>", "", out)) > 40, rst.name
        assert "{{" not in out and "{%" not in out, rst.name
        assert "system-message" not in out, f"{rst.name}: docutils complained:\n{out[:2000]}"


def test_caption_quotes_config_and_params():
    entry = Entry(path="p.png", rule="r", analysis="a", params={"budget": 7e18}, wildcards={"w": "x"})
    out = render_caption("Budget {{ snakemake.params.budget }} on **{{ snakemake.config['data']['source'] }}**"
                         " ({{ snakemake.wildcards.w }}).", {"data": {"source": "synthetic"}}, entry)
    assert "7e+18" in out and "<strong>synthetic</strong>" in out and "(x)" in out


def test_caption_with_a_missing_key_fails_in_one_line():
    entry = Entry(path="p.png", rule="r", analysis="a", caption="workflow/report/x.rst")
    with pytest.raises(ReportError, match=r"x\.rst of p\.png does not render"):
        render_caption("{{ snakemake.config['nope']['deeper'] }}", {}, entry)


def test_report_categories_sort_in_paper_order_as_snakemakes_menu_sorts_them():
    """Snakemake's report menu orders categories by string comparison (menu.js: localeCompare)."""
    ids = ["reading", "verdicts", "niu", "kaplan", "chinchilla", "muennighoff", "quantization", "predict",
           "health"]
    names = [report_category(i) for i in ids]
    assert sorted(names) == names
    assert names[2] == "1 Niu et al. 2024" and names[0] == "0 Reading page"
    with pytest.raises(ReportError, match="'nope' is unknown"):
        report_category("nope")


def test_rule_files_use_the_numbered_categories(repo):
    """Every category= in the rule files goes through report_category (one order, one place)."""
    for smk in sorted((repo / "workflow" / "rules").glob("*.smk")):
        for line in smk.read_text().splitlines():
            assert not re.search(r"category\s*=\s*[\"']", line), f"{smk.name}: {line.strip()}"


def test_category_numbers_are_dropped_for_reading():
    assert category_name("1 Niu et al. 2024") == "Niu et al. 2024"
    assert category_name("Run health") == "Run health"
    assert category_name(None) == "Other"


def test_wide_tables_are_transposed_and_json_is_flattened(tmp_path):
    wide = tmp_path / "wide.csv"
    pd.DataFrame({f"c{i}": [1.234567, 2.0] for i in range(12)}).to_csv(wide, index=False)
    html = table_html(wide)
    assert html.count("<tr") == 13  # header + one row per column
    assert "1.235" in html
    plan = tmp_path / "plan.json"
    plan.write_text('{"flops": 1e23, "laws": {"kaplan": {"N_opt": 5e8}}}')
    html = table_html(plan)
    assert "laws.kaplan.N_opt" in html and "5e+08" in html


def test_verdict_contract_is_checked(tmp_path):
    frame = read_verdicts(VERDICTS_FIXTURE)
    assert list(frame.columns) == VERDICT_COLUMNS
    assert set(frame["verdict"]) == {"reproduced", "not reproduced", "not identifiable"}
    bad = tmp_path / "bad.csv"
    frame.assign(verdict=["maybe"] + list(frame["verdict"][1:])).to_csv(bad, index=False)
    with pytest.raises(ReportError, match="'maybe' is not one of"):
        read_verdicts(bad)
    frame.drop(columns="rule").to_csv(bad, index=False)
    with pytest.raises(ReportError, match="not the verdict contract"):
        read_verdicts(bad)


def test_verdict_rows_link_to_figure_else_section_else_nothing():
    frame = read_verdicts(VERDICTS_FIXTURE)
    anchors = {"fig-memory-data-fraction", "section-niu", "section-kaplan"}
    rows = {r["claim_id"]: r for r in verdict_rows(frame, anchors)}
    assert rows["overfit-0.1pct"]["href"] == "#fig-memory-data-fraction"
    assert rows["capacity-exponent"]["href"] == "#section-niu"  # no capacity section: its paper's
    assert rows["kaplan-alpha-n"]["href"] == "#section-kaplan"  # figure absent: its section
    assert not rows["loss-sanity"]["linked"]
    assert rows["kaplan-alpha-n"]["interval_text"] == "[0.41, 0.56]"
    assert rows["isoflop-bracketed"]["interval_text"] == ""  # NaN bounds: no interval


def test_benchmark_totals_count_gpu_hours_from_extended_benchmarks(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.tsv").write_text("s\th:m:s\tcpu_time\trule_name\tresources\n"
                                          "7200\t2:00:00\t3600\ttrain\t{'gpu': 4, 'mem_mb': 10}\n")
    (tmp_path / "y.tsv").write_text("s\th:m:s\tcpu_time\n1800\t0:30:00\t1800\n")
    (tmp_path / "empty.tsv").write_text("")
    totals = benchmark_totals(sorted(tmp_path.rglob("*.tsv")))
    assert totals["jobs"] == 2
    assert totals["wall_hours"] == pytest.approx(2.5)
    assert totals["cpu_hours"] == pytest.approx(1.5)
    assert totals["device_hours"] == pytest.approx(8.0)
    assert totals["slowest"][0] == ("train", 7200.0)


def test_page_holds_every_section_in_paper_order(fixture_page):
    html = fixture_page.read_text()
    order = [html.index(f'id="{s}"') for s in ("header", "verdicts", "section-niu", "section-memory",
                                                "section-question-formation", "section-kaplan",
                                                "section-chinchilla", "section-quantization",
                                                "section-predict", "section-health", "methods")]
    assert order == sorted(order)
    assert html.count('<tr class="verdict-row"') == len(pd.read_csv(VERDICTS_FIXTURE))
    assert html.count("<img ") == 8 and html.count('src="data:image/png;base64,') == 8
    assert "<script" not in html and "http://" not in html.split("</head>")[0]
    # the figure's tables come right after it; the rule text comes from the verdict table
    assert html.index('id="fig-memory-question-formation"') < html.index(
        'id="tab-question-formation-accuracy"')
    assert "Reproduced when the corpus&#39;s theoretical exponent" in html
    text = " ".join(html.split())
    assert "1.50 h wall time over 2 benchmarked jobs" in text and "2.00 GPU-hours" in text
    assert "demo-25k" in html  # a caption quoted the demo config


def test_page_without_verdicts_says_so(tmp_path):
    html = build_fixture_page(tmp_path, verdicts=None).read_text()
    assert "No verdict table in this workflow" in html
    assert 'class="verdict-row"' not in html


@pytest.mark.browser
def test_fixture_page_reads_in_chromium(fixture_page):
    """Issue 14's browser check on the fixture page. Screenshots (one per section) and the PDF go
    to $SCALINGLAB_ARTIFACTS/reading_page_fixture when set, else beside the page
    (<pytest tmp>/reading_page*/results/report/screenshots/)."""
    from report_browser import check_page

    shots = fixture_page.parent / "screenshots"
    found = check_page(fixture_page, shots)
    assert found["images"] == 8 and found["rows"] == 8
    artifacts = os.environ.get("SCALINGLAB_ARTIFACTS")
    if artifacts:
        dest = Path(artifacts) / "reading_page_fixture"
        shutil.copytree(shots, dest, dirs_exist_ok=True)


def test_only_this_workflows_benchmarks_count(tmp_path, monkeypatch):
    """A benchmark file a renamed rule left behind is not summed into the compute spent."""
    from scalinglab.report.stages import report_reading_page

    monkeypatch.chdir(tmp_path)
    for rel, seconds in (("results/benchmarks/train/x/run.tsv", 3600), ("results/benchmarks/quanta/old.tsv", 7200)):
        Path(rel).parent.mkdir(parents=True, exist_ok=True)
        Path(rel).write_text(f"s\th:m:s\tcpu_time\n{seconds}\t0\t0\n")
    methods = {k: "?" for k in ("flops_convention", "fit_params", "fit_loss", "huber_delta",
                                "bootstrap_samples", "interval_level", "approach1_grid", "quanta_level")}
    out = report_reading_page(
        files=[], captions=[], verdicts=[], templates=[], page="results/report/index.html", entries=[],
        config={}, configfiles=[], data_source="synthetic", benchmarks="results/benchmarks",
        methods=methods,
        benchmark_patterns=[r"results/benchmarks/train/(?P<experiment>.+)/(?P<run>.+)\.tsv$"])
    text = " ".join(out.read_text().split())
    assert "1.00 h wall time over 1 benchmarked jobs" in text


def test_figures_are_shown_at_one_scale(tmp_path):
    """A one-panel figure is not blown up to the column's width: every raster figure is shown at
    FIGURE_CSS_PX_PER_INCH of its drawn width (wider ones are then capped by the stylesheet), never
    under FIGURE_MIN_CSS_WIDTH."""
    from PIL import Image

    from scalinglab.report.page import FIGURE_CSS_PX_PER_INCH, FIGURE_MIN_CSS_WIDTH, figure_css_width

    widths = {}
    for inches in (4, 8, 12):  # PNGs of a known drawn width, as savefig writes them at 150 dpi
        Image.new("RGB", (inches * 150, 300)).save(tmp_path / f"w{inches}.png", dpi=(150, 150))
        widths[inches] = figure_css_width(tmp_path / f"w{inches}.png")
    assert widths[4] == FIGURE_MIN_CSS_WIDTH  # never narrower than the legible minimum
    assert widths[8] == 8 * FIGURE_CSS_PX_PER_INCH > FIGURE_MIN_CSS_WIDTH
    assert widths[12] == 12 * FIGURE_CSS_PX_PER_INCH
    Image.new("RGB", (600, 300)).save(tmp_path / "nodpi.png")
    assert figure_css_width(tmp_path / "nodpi.png") is None
    (tmp_path / "f.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    assert figure_css_width(tmp_path / "f.svg") is None
