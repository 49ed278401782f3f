"""The workflow's own hygiene, checked as CI does: `snakemake --lint` is clean, `snakefmt --check`
leaves every Snakemake file unchanged, every rule names a conda environment under envs/, and a
dry run with `--software-deployment-method conda` plans the demo (where conda is installed)."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO

SNAKEMAKE_FILES = ["Snakefile", "workflow/rules"]


def test_snakemake_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--snakefile", "Snakefile"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Congratulations" in out, out[-3000:]


def test_snakefmt_check_is_clean():
    pytest.importorskip("snakefmt", reason="snakefmt is in the `test` extra (pip install -e .[test])")
    proc = subprocess.run([sys.executable, "-m", "snakefmt", "--check", *SNAKEMAKE_FILES], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


def test_every_rule_uses_an_environment_of_envs():
    rules_dir = REPO / "workflow" / "rules"
    common = (rules_dir / "common.smk").read_text()
    envs = dict(re.findall(r'^(\w+_ENV) = "\.\./\.\./(envs/\w+\.yaml)"', common, re.M))
    assert set(envs.values()) == {"envs/train.yaml", "envs/analysis.yaml"}
    for path in rules_dir.glob("*.smk"):
        for rule, body in re.findall(r"^rule (\w+):\n((?:    .*\n|\n)*)", path.read_text(), re.M):
            env = re.search(r"    conda:\n        (\w+)", body)
            assert env and env[1] in envs, f"{path.name}: rule {rule} has no conda: from envs/"


def test_pyproject_pins_snakefmt_for_the_tests():
    assert re.search(r'"snakefmt==[\d.]+"', (REPO / "pyproject.toml").read_text())


@pytest.mark.e2e  # a whole-DAG dry run
@pytest.mark.skipif(shutil.which("conda") is None and shutil.which("mamba") is None,
                    reason="neither conda nor mamba is installed (not on PyPI or Debian; a cluster user has one)")
def test_conda_dry_run_plans_the_demo():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", "-n", "--nolock",
                           "--software-deployment-method", "conda", "--configfile", "workflow/config/demo.yaml"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
