"""A clone stands alone: the public Chinchilla points ship inside the package, and the demo DAG
builds in a copy of the repository with nothing beside it (no ../shared/data)."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SHARED_DATA
from scalinglab.fits.public_points import SHIPPED_POINTS, read_points


def test_shipped_points_are_the_245_public_points():
    assert SHIPPED_POINTS.is_relative_to(REPO / "workflow" / "scalinglab")
    pts = read_points(SHIPPED_POINTS, drop_highest=0)
    assert pts.N.size == 245
    assert (SHIPPED_POINTS.parent / "README.md").read_text().count("Besiroglu") >= 1
    shared = SHARED_DATA / "chinchilla_fig4_points.csv"
    if shared.is_file():  # the workplace's copy, where present, is the same file
        digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
        assert digest(shared) == digest(SHIPPED_POINTS)


def test_shipped_points_are_package_data():
    text = (REPO / "pyproject.toml").read_text()
    assert '"scalinglab.fits" = ["data/*.csv", "data/*.md"]' in text


def copy_tracked_files(dest: Path) -> Path:
    """The files git knows (tracked, and untracked but not ignored), as a clone would hold them."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=REPO, capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, files):
        if (REPO / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, dest / rel)
    return dest


def dry_run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    # targets before --configfile (it takes several values); --forceall lists every job
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", "--forceall", *args,
           "--configfile", "workflow/config/demo.yaml"]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def bare_clone(tmp_path_factory):
    root = tmp_path_factory.mktemp("bare")
    clone = copy_tracked_files(root / "scalinglab")
    assert sorted(p.name for p in root.iterdir()) == ["scalinglab"]  # nothing beside it
    return clone


@pytest.mark.e2e  # a whole-DAG dry run (~10-30 s on 2 cores)
def test_bare_clone_dry_runs_the_demo_dag(bare_clone):
    proc = dry_run(bare_clone)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "shared/data" not in out
    assert "workflow/scalinglab/fits/data/chinchilla_fig4_points.csv" in out


@pytest.mark.e2e  # one rule's dry run
@pytest.mark.parametrize("value", ["null", "''", "~"])
def test_null_chinchilla_points_means_the_shipped_copy(bare_clone, value):
    proc = dry_run(bare_clone, "results/fits/chinchilla_public_fit.json",
                   "--config", f"fits={{chinchilla_points: {value}}}")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "input: workflow/scalinglab/fits/data/chinchilla_fig4_points.csv" in out
