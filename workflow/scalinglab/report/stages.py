"""Stage functions of the report analysis: one per rule, explicit arguments, no Snakemake."""
from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

from scalinglab.report.page import Entry, benchmark_totals, build_page

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


def report_reading_page(entries: list[dict], config: dict, out: str | Path, *, verdicts: str | None,
                   configfiles: list[str], data_source: str, benchmarks: str | Path,
                   methods: dict, benchmark_patterns: list[str] | None = None) -> Path:
    """Rule report_reading_page: write the page to `out` (atomically: a reader never sees half a page).

    The compute spent sums the benchmark files under `benchmarks`; with `benchmark_patterns`
    (the rules' benchmark paths as regular expressions) only the files a rule of this workflow
    writes count, not those left by a rule since renamed or removed.
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
    )
    page = build_page([Entry.from_dict(e) for e in entries], config, verdicts, header)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out
