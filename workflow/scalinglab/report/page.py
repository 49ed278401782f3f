"""The reading page: every figure inline with its caption, its tables, the verdicts and a header.

One self-contained HTML file (images as base64 data URIs, CSS inline, no JavaScript) built from
the outputs the rules mark with ``report()``: the same captions (``workflow/report/*.rst``, Jinja
over ``snakemake.config``/``params``/``wildcards``, then reStructuredText) that Snakemake's own
report shows, rendered with the same context, in the papers' order.

Input contract (what the rule passes, see ``workflow/rules/report.smk``): a list of
:class:`Entry` — one per report() output — and the verdict table (``results/verdicts/verdicts.csv``,
columns :data:`VERDICT_COLUMNS`).
"""
from __future__ import annotations

import base64
import html
import json
import math
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable

import jinja2
import pandas as pd
from docutils.core import publish_parts

from scalinglab.report.sections import ANALYSIS_TITLES, SECTIONS, ReportError, Section, category_name, slug

TEMPLATES = Path(__file__).with_name("templates")
IMAGE_SUFFIXES = {".png", ".svg", ".jpg", ".jpeg"}

VERDICT_COLUMNS = ["claim_id", "section", "paper", "figure", "claim", "paper_value", "value", "lo",
                   "hi", "reference", "reference_value", "rule", "verdict", "detail"]
VERDICTS = ("reproduced", "not reproduced", "not identifiable")


@dataclass
class Entry:
    """One output marked report(): where it is, what produced it and what its caption needs."""

    path: str
    rule: str
    analysis: str  # the rule file's name (memory, fits, ...): one name per analysis
    category: str | None = None
    subcategory: str | None = None
    labels: dict = field(default_factory=dict)
    caption: str | None = None  # path of the .rst caption template
    wildcards: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "figure" if Path(self.path).suffix.lower() in IMAGE_SUFFIXES else "table"

    @property
    def stem(self) -> str:
        return Path(self.path).stem

    @property
    def anchor(self) -> str:
        return ("fig-" if self.kind == "figure" else "tab-") + slug(self.stem)

    @property
    def title(self) -> str:
        label = next(iter(self.labels.values()), None) if self.labels else None
        extra = [str(v) for k, v in list(self.labels.items())[1:]]
        text = re.sub(r"^\s*\d+\s+", "", str(label)) if label else self.stem.replace("_", " ")
        return text + (f" ({', '.join(extra)})" if extra else "")

    @classmethod
    def from_dict(cls, d: dict) -> "Entry":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


# ---- captions


def render_caption(template: str, config: dict, entry: Entry) -> str:
    """A caption as Snakemake's report renders it: Jinja (same environment options, a `snakemake`
    object with config, params, wildcards, rule) and then reStructuredText to HTML."""
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    snakemake = SimpleNamespace(config=config, params=SimpleNamespace(**entry.params),
                                wildcards=SimpleNamespace(**entry.wildcards), rule=entry.rule,
                                output=[entry.path])
    try:
        rst = env.from_string(template).render(snakemake=snakemake)
    except jinja2.TemplateError as exc:
        raise ReportError(f"caption {entry.caption} of {entry.path} does not render: {exc}; "
                          "fix the template or the config key it names") from exc
    parts = publish_parts(rst, writer="html",
                          settings_overrides={"report_level": 4, "halt_level": 5,
                                              "syntax_highlight": "none"})
    return parts["body"]


# ---- files to HTML


def data_uri(path: str | Path) -> str:
    mime = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


# CSS pixels per inch of the drawn figure: every figure is shown at the same scale, so a one-panel
# figure is not blown up to the column's width (and its fonts with it) while a three-panel row
# shrinks to fit; wider figures are capped at the column by `max-width: 100%` in the stylesheet.
# None is shown narrower than FIGURE_MIN_CSS_WIDTH (a one-panel figure stays legible on screen).
FIGURE_CSS_PX_PER_INCH = 100
FIGURE_MIN_CSS_WIDTH = 640


def figure_css_width(path: str | Path) -> int | None:
    """The width at which to show a raster figure: pixels / its dpi x FIGURE_CSS_PX_PER_INCH, at
    least FIGURE_MIN_CSS_WIDTH; None for SVG or an image without a stated dpi."""
    if Path(path).suffix.lower() == ".svg":
        return None
    from PIL import Image

    with Image.open(path) as im:
        dpi = im.info.get("dpi")
        if not dpi or not dpi[0]:
            return None
        return max(FIGURE_MIN_CSS_WIDTH, round(im.size[0] / float(dpi[0]) * FIGURE_CSS_PX_PER_INCH))


def _format_cell(v) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:.4g}"
    return str(v)


def frame_html(frame: pd.DataFrame, max_columns: int = 9) -> str:
    """A table as plain HTML; one with more columns than fit a printed page is shown transposed
    (one row per column), which keeps fit tables (few rows, many fields) readable."""
    transposed = frame.shape[1] > max_columns and frame.shape[0] <= max_columns
    if transposed:
        frame = frame.T
        frame.columns = [f"row {i + 1}" for i in range(frame.shape[1])] if frame.columns.dtype != object \
            else frame.columns
    body = frame.map(_format_cell)
    out = body.to_html(index=transposed, border=0, classes="data", escape=True)
    return out


def table_html(path: str | Path, max_rows: int = 60) -> str:
    """A CSV or JSON table as HTML (a JSON object is flattened into key/value rows)."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        data = json.loads(path.read_text())
        flat = pd.json_normalize(data, sep=".") if isinstance(data, dict) else pd.DataFrame(data)
        if isinstance(data, dict):
            rows = [(k, _format_cell(v) if not isinstance(v, (list, dict)) else json.dumps(v)[:200])
                    for k, v in flat.iloc[0].items()]
            frame = pd.DataFrame(rows, columns=["field", "value"])
            return frame.to_html(index=False, border=0, classes="data", escape=True)
        return frame_html(flat)
    frame = pd.read_csv(path, sep="\t" if path.suffix.lower() in {".tsv", ".tab"} else ",")
    note = ""
    if len(frame) > max_rows:
        note = f'<p class="note">First {max_rows} of {len(frame)} rows; the file has them all.</p>'
        frame = frame.head(max_rows)
    return frame_html(frame) + note


# ---- verdicts


def read_verdicts(path: str | Path | None) -> pd.DataFrame | None:
    """The verdict table, checked against the contract; None when the workflow has none yet."""
    if path is None:
        return None
    frame = pd.read_csv(path, keep_default_na=False, na_values={c: ["", "NaN", "nan"] for c in
                                                                ("value", "lo", "hi", "reference_value")})
    if list(frame.columns) != VERDICT_COLUMNS:
        raise ReportError(f"{path}: columns {list(frame.columns)} are not the verdict contract "
                          f"{VERDICT_COLUMNS}; rerun the verdicts rule")
    bad = sorted(set(frame["verdict"]) - set(VERDICTS))
    if bad:
        raise ReportError(f"{path}: verdict {bad[0]!r} is not one of {list(VERDICTS)}; fix the verdict rule")
    return frame


def _number(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"


def verdict_rows(frame: pd.DataFrame | None, anchors: set[str]) -> list[dict]:
    """Rows for the template: value with its interval, and the anchor it links to (its figure's,
    else its section's)."""
    if frame is None:
        return []
    rows = []
    for r in frame.to_dict("records"):
        parent = next((s.id for s in SECTIONS if r["section"] in s.analyses), None)
        candidates = [f"fig-{slug(r['figure'])}" if str(r["figure"]).strip() else "",
                      f"section-{slug(r['section'])}", f"section-{parent}" if parent else ""]
        target = next((c for c in candidates if c in anchors), "")
        value = _number(r["value"])
        interval = f"[{_number(r['lo'])}, {_number(r['hi'])}]" if _number(r["lo"]) and _number(r["hi"]) else ""
        rows.append(dict(r, value_text=value, interval_text=interval, href=f"#{target}",
                         verdict_class=slug(r["verdict"]), linked=target in anchors))
    return rows


# ---- run cost


def benchmark_totals(paths: Iterable[str | Path]) -> dict:
    """Wall time, CPU time and device-hours summed over Snakemake benchmark files.

    Device-hours = job seconds x the GPUs the job asked for (`resources: gpu`), which Snakemake
    writes only with ``--benchmark-extended`` (set in the profiles); files without that column
    count as CPU jobs.
    """
    wall = cpu = device = 0.0
    jobs = 0
    by_rule: dict[str, float] = {}
    for path in paths:
        try:
            frame = pd.read_csv(path, sep="\t")
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        for rec in frame.to_dict("records"):
            s = pd.to_numeric(rec.get("s"), errors="coerce")
            if pd.isna(s):
                continue
            jobs += 1
            wall += float(s)
            c = pd.to_numeric(rec.get("cpu_time"), errors="coerce")
            cpu += 0.0 if pd.isna(c) else float(c)
            gpus = _gpus(rec.get("resources"))
            device += float(s) * gpus
            rule = str(rec.get("rule_name") or Path(path).parent.name)
            by_rule[rule] = by_rule.get(rule, 0.0) + float(s)
    return dict(jobs=jobs, wall_hours=wall / 3600, cpu_hours=cpu / 3600, device_hours=device / 3600,
                slowest=sorted(by_rule.items(), key=lambda kv: -kv[1])[:5])


def _gpus(resources) -> int:
    if not isinstance(resources, str) or not resources.strip().startswith("{"):
        return 0
    m = re.search(r"""['"]gpu['"]\s*:\s*(\d+)""", resources)
    return int(m.group(1)) if m else 0


# ---- assembly


@dataclass
class Item:
    """A figure (with the tables of the same rule below it) or a table on its own."""

    entry: Entry
    caption_html: str
    body_html: str  # <img> or <table>
    tables: list["Item"] = field(default_factory=list)


def _section_for(entry: Entry) -> Section | None:
    name = category_name(entry.category)
    return next((s for s in SECTIONS if s.category == name), None)


def assemble(entries: list[Entry], config: dict, verdicts: pd.DataFrame | None) -> list[dict]:
    """Sections in reading order, each with its subsections and items (figures first, each
    followed by its rule's tables; then tables of rules without a figure)."""
    caption_cache: dict[str, str] = {}

    def item(e: Entry) -> Item:
        if e.caption:
            if e.caption not in caption_cache:
                caption_cache[e.caption] = Path(e.caption).read_text()
            cap = render_caption(caption_cache[e.caption], config, e)
        else:
            cap = ""
        if e.kind == "figure":
            width = figure_css_width(e.path)
            style = f' style="width: {width}px"' if width else ""
            body = (f'<img src="{data_uri(e.path)}" alt="{html.escape(e.title)}"{style} '
                    f'data-file="{html.escape(Path(e.path).name)}">')
        else:
            body = table_html(e.path)
        return Item(e, cap, body)

    groups: dict[tuple[str, str], list[Entry]] = {}
    extra_sections: dict[str, Section] = {}
    for e in entries:
        section = _section_for(e)
        if section is None:  # a category not in SECTIONS: its own section after the known ones
            name = category_name(e.category)
            section = extra_sections.setdefault(name, Section(slug(name), name, name))
        sub = e.analysis if e.analysis in section.analyses else ""
        groups.setdefault((section.id, sub), []).append(e)

    out = []
    for section in list(SECTIONS) + list(extra_sections.values()):
        subs = []
        for sub in ("",) + section.analyses:
            members = groups.get((section.id, sub), [])
            if not members:
                continue
            figures = [e for e in members if e.kind == "figure"]
            tables = [e for e in members if e.kind == "table"]
            items, used = [], set()
            for f in figures:
                it = item(f)
                mine = [t for t in tables if t.rule == f.rule and t.path not in used]
                for t in mine:
                    used.add(t.path)
                    it.tables.append(item(t))
                items.append(it)
            items += [item(t) for t in tables if t.path not in used]
            subs.append(dict(id=f"section-{slug(sub)}" if sub else "", title=ANALYSIS_TITLES.get(sub, sub),
                             items=items))
        out.append(dict(id=f"section-{section.id}", title=section.title, subsections=subs,
                        empty=not subs))
    return out


def figure_anchors(sections: list[dict]) -> set[str]:
    anchors = set()
    for s in sections:
        anchors.add(s["id"])
        for sub in s["subsections"]:
            if sub["id"]:
                anchors.add(sub["id"])
            for it in sub["items"]:
                anchors.add(it.entry.anchor)
    return anchors


def render_page(sections: list[dict], verdicts: list[dict], header: dict, config: dict,
                rules: list[dict]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css = (TEMPLATES / "page.css").read_text()
    return env.get_template("page.html.j2").render(sections=sections, verdicts=verdicts,
                                                   header=header, config=config, rules=rules, css=css)


def build_page(entries: list[Entry], config: dict, verdicts_csv: str | Path | None, header: dict) -> str:
    """The whole page as one HTML string."""
    frame = read_verdicts(verdicts_csv)
    sections = assemble(entries, config, frame)
    rows = verdict_rows(frame, figure_anchors(sections))
    rules = [] if frame is None else (frame[["claim_id", "paper", "claim", "rule"]]
                                      .to_dict("records"))
    return render_page(sections, rows, header, config, rules)
