"""The demo through a real Slurm (.ci/slurm/up.sh starts one on localhost), not a mock.

Runs Snakemake with profiles/slurm-ci in a copy of the checkout: every job is submitted with
sbatch by snakemake-executor-plugin-slurm and must show up in Slurm with its own job id. Then a
training job is cancelled by Slurm (scancel) after its first checkpoint; Snakemake's retry must
resume from that checkpoint and end with the same metrics as the uninterrupted run.

Skipped where Slurm is not installed or not running. Each run is wrapped in `timeout -k`, so a
hung poll cannot eat CI's budget; after a killed run the copy is unlocked and our jobs cancelled.
"""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from test_e2e_demo import copy_checkout

pytestmark = pytest.mark.slurm

PROFILE = ["--profile", str(REPO / "profiles" / "slurm-ci")]
DEMO = ["--configfile", "workflow/config/demo.yaml"]
EXPERIMENT = "data_fraction"
# The demo's data-fraction model, read from its config (a renamed ladder must not break this test).
MODEL = yaml.safe_load((REPO / "workflow/config/demo.yaml").read_text())["experiments"][EXPERIMENT]["models"][0]
RUN_SMALL, RUN_MID = f"{MODEL}_f0.001_s0", f"{MODEL}_f0.01_s0"
SUBMITTED = re.compile(r"Job \d+ has been submitted with SLURM jobid (\d+)")
TIMEOUT_S = 360  # the whole Slurm part of CI stays within ~10 min


def slurm_is_up() -> str | None:
    """None if a Slurm controller answers and a node is usable, else why not."""
    if not shutil.which("sinfo") or not shutil.which("sbatch"):
        return "Slurm is not installed (bash .ci/slurm/up.sh installs and starts it)"
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True)
    if "UP" not in ping.stdout:
        return "slurmctld is not running (bash .ci/slurm/up.sh)"
    states = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True).stdout
    if not re.search(r"^(idle|mix|alloc)", states, re.M):
        return f"no usable Slurm node (sinfo: {states.strip()!r})"
    return None


@pytest.fixture(scope="module")
def slurm():
    reason = slurm_is_up()
    if reason:
        pytest.skip(reason)


def snakemake_via_slurm(workdir: Path, *targets: str, background: bool = False):
    # targets first: --configfile takes every following word
    cmd = ["timeout", "-k", "15", str(TIMEOUT_S), sys.executable, "-m", "snakemake",
           *targets, *PROFILE, *DEMO]
    if background:
        return subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)


def clean_up_after_failure(workdir: Path, output: str):
    """A killed Snakemake leaves a lock and maybe jobs: cancel ours, unlock the copy."""
    ids = SUBMITTED.findall(output)
    if ids:
        subprocess.run(["scancel", *ids], capture_output=True)
    subprocess.run([sys.executable, "-m", "snakemake", "--unlock", *DEMO], cwd=workdir,
                   capture_output=True)


def slurm_states(job_ids: list[str]) -> dict[str, str]:
    """Job id -> state as Slurm reports it (finished jobs stay visible for MinJobAge)."""
    out = subprocess.run(["squeue", "--states=all", "-h", "-o", "%i|%T", "-j", ",".join(job_ids)],
                         capture_output=True, text=True).stdout
    return dict(line.split("|", 1) for line in out.split())


def read_losses(metrics_csv: Path) -> list[tuple]:
    """The deterministic columns of metrics.csv (throughput columns differ run to run)."""
    with open(metrics_csv) as f:
        return [(r["step"], r["tokens"], r["train_loss"], r["val_loss"], r["grad_norm"])
                for r in csv.DictReader(f)]


def train_target(run: str) -> str:
    return f"results/train/{EXPERIMENT}/{run}/summary.json"


@pytest.fixture(scope="module")
def slurm_demo(slurm, tmp_path_factory):
    """Data stage + two training runs (3 Slurm jobs), uninterrupted."""
    workdir = copy_checkout(tmp_path_factory.mktemp("slurm_demo"))
    start = time.monotonic()
    proc = snakemake_via_slurm(workdir, train_target(RUN_SMALL), train_target(RUN_MID))
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        clean_up_after_failure(workdir, output)
    assert proc.returncode == 0, f"exit {proc.returncode} after {elapsed:.0f} s:\n{output[-6000:]}"
    print(f"\n3 jobs through Slurm in {elapsed:.0f} s")
    return workdir, output


def test_every_job_went_through_slurm(slurm_demo):
    workdir, output = slurm_demo
    ids = SUBMITTED.findall(output)
    assert len(ids) == 3 and len(set(ids)) == 3, output[-4000:]
    states = slurm_states(ids)
    assert all(states.get(i) == "COMPLETED" for i in ids), states
    # The plugin's per-job Slurm logs (kept by the CI profile), named by the Slurm job id.
    logs = {p.stem for p in (workdir / "results/logs/slurm").rglob("*.log")}
    assert set(ids) <= logs, (ids, sorted(logs))
    for run in (RUN_SMALL, RUN_MID):
        assert (workdir / train_target(run)).is_file()


def test_cancelled_training_job_resumes_from_its_checkpoint(slurm_demo, tmp_path_factory):
    reference_dir, _ = slurm_demo
    workdir = copy_checkout(tmp_path_factory.mktemp("slurm_resume"))
    # The data stage is not under test here: reuse the finished one.
    shutil.copytree(reference_dir / "results/data", workdir / "results/data")
    run_dir = workdir / "results/train" / EXPERIMENT / RUN_SMALL
    proc = snakemake_via_slurm(workdir, train_target(RUN_SMALL), background=True)
    lines, cancelled = [], None
    deadline = time.monotonic() + TIMEOUT_S
    try:
        for line in proc.stdout:  # the first job id, then the first checkpoint, then scancel
            lines.append(line)
            ids = SUBMITTED.findall("".join(lines))
            if ids and cancelled is None:
                while time.monotonic() < deadline and not list((run_dir / "checkpoints").glob("step_*.pt")):
                    time.sleep(0.2)
                assert not (run_dir / "summary.json").exists(), "run finished before it could be cancelled"
                subprocess.run(["scancel", ids[0]], check=True)
                cancelled = ids[0]
        proc.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        output = "".join(lines)
        if proc.poll() is None:
            proc.kill()
        if proc.returncode != 0:
            clean_up_after_failure(workdir, output)
    assert cancelled is not None, output[-4000:]
    assert proc.returncode == 0, output[-6000:]
    ids = SUBMITTED.findall(output)
    assert len(ids) == 2 and ids[0] == cancelled, ids  # the cancelled attempt and its retry
    assert slurm_states(ids) == {cancelled: "CANCELLED", ids[1]: "COMPLETED"}
    log = (workdir / f"results/logs/train/{EXPERIMENT}/{RUN_SMALL}.log").read_text()
    assert "[train] resumed" in log, log[-3000:]
    # Nothing lost: every metrics row equals the uninterrupted run's, bit for bit.
    resumed = read_losses(run_dir / "metrics.csv")
    reference = read_losses(reference_dir / "results/train" / EXPERIMENT / RUN_SMALL / "metrics.csv")
    assert resumed == reference
