"""End to end: the demo config runs the whole DAG, the report builds, and a browser renders it.

The DAG runs once (session fixture) in a copy of the checkout under a temporary folder laid out
like this workplace (`<tmp>/main` with `<tmp>/shared/data` beside it), so the developer's own
results/ are never touched and nothing is reused from an earlier run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SHARED_DATA

DEMO = ["--configfile", "workflow/config/demo.yaml"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def snakemake(workdir: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    # Targets go before --configfile, which takes several values and would swallow them.
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", *args, *DEMO]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)


def copy_checkout(dest: Path) -> Path:
    """Copy the files git knows (tracked, and untracked but not ignored) into dest/main."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.split("\0")
    main = dest / "main"
    for rel in filter(None, files):
        src = REPO / rel
        if src.is_file():
            (main / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, main / rel)
    if SHARED_DATA.is_dir():
        (dest / "shared").mkdir()
        (dest / "shared" / "data").symlink_to(SHARED_DATA)
    return main


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    workdir = copy_checkout(tmp_path_factory.mktemp("demo"))
    start = time.monotonic()
    proc = snakemake(workdir)
    elapsed = time.monotonic() - start
    print(f"\ndemo DAG: {elapsed / 60:.1f} min on {os.cpu_count()} cores")
    assert proc.returncode == 0, f"demo DAG failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}"
    return workdir


def job_counts(dry_run_output: str) -> dict[str, int]:
    """Parse Snakemake's 'Job stats' table of a dry run into {rule: count}."""
    counts, in_table = {}, False
    for line in dry_run_output.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
            continue
        if in_table:
            if len(parts) == 2 and parts[1].isdigit():
                if parts[0] != "total":
                    counts[parts[0]] = int(parts[1])
            elif parts and not set(line.strip()) <= {"-", " "}:  # the rule under the header
                break
    return counts


@pytest.mark.e2e
def test_demo_dag_completes_with_nothing_left(demo_run):
    proc = snakemake(demo_run, "-n")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-4000:]
    figures = sorted((demo_run / "results" / "figures").glob("*.png"))
    assert len(figures) >= 13, [f.name for f in figures]
    for png in figures:
        assert png.with_suffix(".pdf").is_file(), f"{png.name} has no vector twin"


@pytest.mark.e2e
def test_single_figure_target_runs_only_what_it_needs(tmp_path):
    """Naming one figure's file schedules that figure's chain and nothing of the other papers."""
    workdir = copy_checkout(tmp_path)
    proc = snakemake(workdir, "-n", "results/figures/report_expected_loss_bands.png")
    assert proc.returncode == 0, proc.stderr[-4000:]
    counts = job_counts(proc.stdout + proc.stderr)
    assert "report_expected_loss_bands" in counts, counts
    assert counts.get("train", 0) >= 1, counts
    full = job_counts((lambda p: p.stdout + p.stderr)(snakemake(workdir, "-n")))
    assert set(counts) < set(full), (counts, full)
    assert sum(counts.values()) < sum(full.values())


@pytest.mark.e2e
@pytest.mark.browser
def test_report_renders_in_chromium(demo_run):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (bash .ci/install installs it)")
    playwright = pytest.importorskip("playwright.sync_api")
    report = demo_run / "results" / "provenance.html"
    proc = snakemake(demo_run, "--report", str(report))
    assert proc.returncode == 0 and report.is_file(), proc.stderr[-4000:]

    errors = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")
        # The report keeps each result (data URI, caption) in the global `results`; Chromium
        # decodes every image from it, as the report's own viewer does.
        entries = page.evaluate("""async () => {
            const out = [];
            for (const [name, r] of Object.entries(results)) {
                let size = null;
                if (r.mime_type.startsWith('image/')) {
                    const img = new Image();
                    img.src = r.data_uri;
                    try { await img.decode(); } catch (e) {}
                    size = [img.naturalWidth, img.naturalHeight];
                }
                const caption = document.createElement('div');
                caption.innerHTML = r.caption;
                out.push({name, mime: r.mime_type, size, caption: caption.innerText.trim()});
            }
            return out;
        }""")
        shot = demo_run / "results" / "report_screenshot.png"
        page.screenshot(path=str(shot), full_page=True)
        categories = page.evaluate("Object.values(results).map(r => r.job_properties && r.job_properties.rule)")
        # The menu sorts category names as strings: the reading page first, then the papers.
        menu = page.evaluate("Object.keys(categories).sort((a, b) => a.localeCompare(b))")
        browser.close()
    artifacts = os.environ.get("SCALINGLAB_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, Path(artifacts) / shot.name)

    assert not errors, errors
    images = [e for e in entries if e["mime"].startswith("image/")]
    assert len(images) >= 13, [e["name"] for e in entries]
    for e in images:
        assert e["size"] and min(e["size"]) > 0, f"{e['name']} did not decode: {e['size']}"
    for e in entries:
        assert len(e["caption"]) > 20, f"{e['name']} has no caption"
    assert shot.stat().st_size > 10_000
    assert all(categories)
    assert menu[0] == "0 Reading page" and "1 Niu et al. 2024" in menu[1:3], menu
    pages = [e for e in entries if e["mime"] == "text/html"]
    assert [Path(e["name"]).name for e in pages] == ["index.html"], [e["name"] for e in entries]


@pytest.mark.e2e
@pytest.mark.browser
def test_reading_page_reads_in_chromium(demo_run):
    """The DAG's final product, results/report/index.html, checked as issue 14 asks (see
    tests/report_browser.py). Screenshots, one per section, and the printed PDF are kept in
    <demo run>/results/report/screenshots/ and copied to $SCALINGLAB_ARTIFACTS/reading_page."""
    from report_browser import check_page

    page = demo_run / "results" / "report" / "index.html"
    assert page.is_file(), "the demo DAG did not build the reading page"
    shots = page.parent / "screenshots"
    has_verdicts = (demo_run / "results" / "verdicts" / "verdicts.csv").is_file()
    found = check_page(page, shots, expect_verdicts=has_verdicts)
    artifacts = os.environ.get("SCALINGLAB_ARTIFACTS")
    if artifacts:
        shutil.copytree(shots, Path(artifacts) / "reading_page", dirs_exist_ok=True)
    assert found["images"] >= 13, found
