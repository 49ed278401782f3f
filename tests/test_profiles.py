"""Snakemake profiles: they parse, carry what a cluster run needs, and build the DAG.

Resource expressions are evaluated with Snakemake's own evaluator (the one --default-resources
and --set-resources use), so a typo or an expression that does not grow with `attempt` fails here
rather than on a cluster.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.resources import Resource

from conftest import REPO

PROFILES = REPO / "profiles"


def load(name: str) -> dict:
    return yaml.safe_load((PROFILES / name / "profile.yaml").read_text())


def evaluate(name: str, expression, attempt: int = 1):
    """A profile resource value as Snakemake evaluates it for a job at `attempt`."""
    if not isinstance(expression, str):
        return expression
    return Resource.cli_evaluator(name, expression, wildcards=None, input=[], attempt=attempt,
                                  threads=1, async_run=None)


@pytest.mark.parametrize("name", ["slurm", "slurm-ci", "workstation", "demo"])
def test_profile_parses_as_a_mapping(name):
    profile = load(name)
    assert isinstance(profile, dict) and profile, name
    # Snakemake >= 9.19 reads profile.yaml; a stray config.yaml beside it would be ignored.
    assert not (PROFILES / name / "config.yaml").exists()


def test_slurm_profile_has_what_a_cluster_run_needs():
    profile = load("slurm")
    assert profile["executor"] == "slurm"
    assert int(profile["jobs"]) >= 1
    assert int(profile["retries"]) >= 1, "killed training jobs must be retried (they resume)"
    assert int(profile["latency-wait"]) >= 30
    defaults = profile["default-resources"]
    for key in ("slurm_account", "slurm_partition", "mem_mb", "runtime"):
        assert key in defaults, key
    runtimes = [evaluate("runtime", defaults["runtime"], attempt) for attempt in (1, 2, 3)]
    assert 0 < runtimes[0] < runtimes[1] < runtimes[2], runtimes
    train = profile["set-resources"]["train"]
    for key in ("slurm_partition", "gpu_model", "cpus_per_gpu"):
        assert key in train, key
    # The GPU count is config (train.resources.gpus): torchrun starts that many processes, so a
    # profile override would reserve GPUs no process uses.
    assert "gpu" not in train and "gpus" not in train
    assert evaluate("cpus_per_gpu", train["cpus_per_gpu"]) >= 1


def test_slurm_profile_reads_account_and_partitions_from_the_environment(monkeypatch):
    profile = load("slurm")
    defaults, train = profile["default-resources"], profile["set-resources"]["train"]
    for var in ("SCALINGLAB_SLURM_ACCOUNT", "SCALINGLAB_SLURM_PARTITION",
                "SCALINGLAB_SLURM_GPU_PARTITION", "SCALINGLAB_GPU_MODEL"):
        monkeypatch.delenv(var, raising=False)
    # Unset: no account / the cluster's default partition (the plugin decides), GPU jobs on `gpu`.
    assert evaluate("slurm_account", defaults["slurm_account"]) == ""
    assert evaluate("slurm_partition", defaults["slurm_partition"]) == ""
    assert evaluate("slurm_partition", train["slurm_partition"]) == "gpu"
    assert evaluate("gpu_model", train["gpu_model"]) == ""
    monkeypatch.setenv("SCALINGLAB_SLURM_ACCOUNT", "proj-123")
    monkeypatch.setenv("SCALINGLAB_SLURM_PARTITION", "cpu_short")
    monkeypatch.setenv("SCALINGLAB_SLURM_GPU_PARTITION", "gpu_a100")
    monkeypatch.setenv("SCALINGLAB_GPU_MODEL", "a100")
    assert evaluate("slurm_account", defaults["slurm_account"]) == "proj-123"
    assert evaluate("slurm_partition", defaults["slurm_partition"]) == "cpu_short"
    assert evaluate("slurm_partition", train["slurm_partition"]) == "gpu_a100"
    assert evaluate("gpu_model", train["gpu_model"]) == "a100"


def test_ci_profile_polls_with_squeue_and_uses_no_account():
    profile = load("slurm-ci")
    assert profile["executor"] == "slurm"
    assert profile["slurm-status-command"] == "squeue"
    assert profile["slurm-no-account"] is True
    # .ci/slurm/up.sh sets MinJobAge=300; below 3 x the initial wait the plugin polls with sacct.
    minjobage = int(next(line.split("=")[1] for line in (REPO / ".ci/slurm/up.sh").read_text().splitlines()
                         if line.startswith("MinJobAge=")))
    assert minjobage >= 3 * int(profile["slurm-init-seconds-before-status-checks"])
    assert "set-resources" not in profile  # the demo config asks for no GPU


def test_workstation_profile_counts_gpus_as_a_resource():
    profile = load("workstation")
    assert profile["cores"] == "all"
    assert int(profile["resources"]["gpu"]) >= 1
    # GPU counts per job are config (torchrun's process count), never profile overrides.
    assert "train" not in (profile.get("set-resources") or {})


def fake_slurm_bin(tmp_path: Path) -> tuple[Path, Path]:
    """A bin dir whose sbatch/srun/sinfo/squeue/sacct only record that they were called."""
    bindir, marker = tmp_path / "bin", tmp_path / "slurm_called"
    bindir.mkdir(parents=True)
    for tool in ("sbatch", "srun", "sinfo", "squeue", "sacct", "scontrol", "sacctmgr", "sshare"):
        script = bindir / tool
        script.write_text(f"#!/bin/sh\necho {tool} \"$@\" >> {marker}\nexit 1\n")
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bindir, marker


def dry_run(tmp_path: Path, *args: str) -> str:
    """`snakemake -n` output; fails the test if it errs or touches sbatch/srun."""
    bindir, marker = fake_slurm_bin(tmp_path)
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    submitted = marker.read_text() if marker.exists() else ""
    assert "sbatch" not in submitted and "srun" not in submitted, submitted
    return out


def job_resources(dry_run_output: str, rule: str | None = None) -> list[dict[str, str]]:
    """The `resources:` of every job (of `rule`, if given) in a dry run's job listing;
    each dict also holds the job's rule under the key `rule`."""
    jobs, current = [], None
    for line in dry_run_output.splitlines():
        if line.startswith("rule ") or line.startswith("localrule "):
            current = line.split()[1].rstrip(":")
        elif current and line.strip().startswith("resources:"):
            if rule is None or current == rule:
                pairs = line.split("resources:", 1)[1].split(", ")
                jobs.append(dict((pair.strip().split("=", 1) for pair in pairs), rule=current))
            current = None
    return jobs


@pytest.mark.e2e  # whole-DAG dry runs (~5 s CPU each), like tests/test_config.py
def test_slurm_dry_run_builds_the_paper_dag_with_cluster_resources(tmp_path):
    """Paper config + slurm profile: the DAG builds without sbatch; every job that asks for GPUs
    lands on the GPU partition, training with config's GPU count; a retry asks for more time."""
    first, retry = (dry_run(tmp_path / str(attempt), "--profile", "profiles/slurm", "--forceall",
                            "--attempt", str(attempt)) for attempt in (1, 2))
    gpu_jobs = [job for job in job_resources(first) if int(job.get("gpu") or 0) > 0]
    assert {job["rule"] for job in gpu_jobs} >= {"train"}, gpu_jobs
    for job in gpu_jobs:
        assert job["slurm_partition"] == "gpu" and int(job["cpus_per_gpu"]) >= 1, job
    train, train_retry = job_resources(first, "train"), job_resources(retry, "train")
    assert train and len(train) == len(train_retry), (train, train_retry)
    for job, again in zip(train, train_retry):
        assert int(job["gpu"]) >= 1 and int(job["cpus_per_gpu"]) == 8, job
        assert int(again["runtime"]) > int(job["runtime"]) > 0, (job, again)


@pytest.mark.e2e  # whole-DAG dry runs (~5 s CPU each), like tests/test_config.py
def test_workstation_dry_run_builds_the_demo_dag(tmp_path):
    out = dry_run(tmp_path, "--profile", "profiles/workstation", "--forceall",
                  "--configfile", "workflow/config/demo.yaml")
    assert job_resources(out, "train"), out[-3000:]


@pytest.mark.e2e  # a dry run of one figure's chain (~3 s)
def test_demo_profile_takes_a_target_in_any_position(tmp_path):
    """profiles/demo applies the demo config, so a figure target may follow the options."""
    out = dry_run(tmp_path, "--profile", "profiles/demo", "--forceall",
                  "results/figures/memory_fig3_data_fraction.png")
    assert "workflow/config/demo.yaml" in out
    rules = {job["rule"] for job in job_resources(out)}
    assert rules == {"prepare_data", "train", "memory_fig3_data_fraction"}, rules
