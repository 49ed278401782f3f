"""One function per rule of workflow/rules/report.smk, named after the rule: figure 13 and the run
sanity table, and the reading page."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from ..io import write_csv
from ..reference import expected_loss_bands, loss_verdict, reference_losses
from ..style import percent, save, size_label
from .page import Entry, benchmark_totals, build_page

log = logging.getLogger("scalinglab.report")

# Versions printed in the page header: the stack every number depends on.
PACKAGES = ("scalinglab", "snakemake", "torch", "numpy", "scipy", "pandas", "matplotlib",
            "tiktoken", "jinja2", "docutils")


def package_versions(names=PACKAGES) -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for name in names:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return out


def git_commit(workdir: str | Path = ".") -> str:
    """HEAD's short hash, with ' + uncommitted changes' when tracked files differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=workdir, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=workdir,
                               text=True, capture_output=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return head + (" + uncommitted changes" if dirty else "")




def report_expected_loss_bands(*, metrics: list, summaries: list, val: str, figure: str, table: str) -> None:
    """Figure 13 (validation curves beside reference losses) and the per-run sanity table."""
    with open(val, encoding="utf-8") as f:
        refs = reference_losses(json.load(f))
    curves, rows = {}, []
    for metrics_path, summary_path in zip(metrics, summaries):
        with open(summary_path, encoding="utf-8") as f:
            run = json.load(f)
        label = f"{run['model']} ({size_label(run['params_non_embedding'])}) @ {percent(run['fraction'])} of the data"
        curves[label] = pd.read_csv(metrics_path)
        rows.append({"experiment": run["experiment"], "run": run["run"], "final_val_loss": run["final_val_loss"],
                     "best_val_loss": run["best_val_loss"], "verdict": loss_verdict(run["final_val_loss"], refs)})
        log.info("%s: final val %.4f -> %s", run["run"], run["final_val_loss"], rows[-1]["verdict"])
    if not curves:
        raise ValueError("no runs in report.reference_experiments; name at least one experiment")
    save(expected_loss_bands(curves, refs), figure)
    sanity = pd.DataFrame(rows)
    for ref in refs:
        sanity[f"ref: {ref.label}"] = ref.loss
    write_csv(sanity, table)


def report_reading_page(*, files: list, captions: list, verdicts: list, templates: list, page: str,
                        entries: list, config: dict, configfiles: list, data_source: str,
                        benchmarks: str, benchmark_patterns: list, methods: dict,
                        runs_table_analyses: list = (), runs_table: str | None = None) -> Path:
    """Rule report_reading_page: write the reading page to `page` (atomically: a reader never
    sees half a page). `files`, `captions` and `templates` are the rule's inputs (so the page is
    rebuilt when any changes); `entries` says what each file is (rules/report.smk).

    The compute spent sums the benchmark files under `benchmarks` that a rule of this workflow
    writes (`benchmark_patterns`, the rules' benchmark paths as regular expressions), not those
    left by a rule since renamed or removed.

    With a runs table (`runs_table`, fits.runs.table), the header says so and lists which analyses
    ran and why the others were skipped (`runs_table_analyses`: rule fits_runs_table_analyses' CSV).
    """
    bench_files = sorted(Path(benchmarks).rglob("*.tsv")) if Path(benchmarks).is_dir() else []
    if benchmark_patterns is not None:
        regexes = [re.compile(p) for p in benchmark_patterns]
        bench_files = [f for f in bench_files if any(r.match(f.as_posix()) for r in regexes)]
    header = dict(
        configfiles=list(configfiles) or ["config.yaml"],
        data_source=data_source,
        commit=git_commit(),
        date=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        packages=package_versions(),
        cost=benchmark_totals(bench_files),
        benchmarks=str(benchmarks),
        methods=methods,
        runs_table=(dict(path=runs_table, analyses=pd.read_csv(runs_table_analyses[0]).to_dict("records"))
                    if runs_table_analyses else None),
    )
    html = build_page([Entry.from_dict(e) for e in entries], config, verdicts[0] if verdicts else None,
                      header)
    out = Path(page)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    log.info("wrote %s (%d entries)", out, len(entries))
    return out
