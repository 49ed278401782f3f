"""benchmarks/gpu_check.py --quick: the GPU check's every part runs on CPU, so the script cannot rot."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_gpu_check_quick_runs_every_part_and_writes_the_table(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO / "workflow"), OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--quick",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    rows = report["rows"]
    assert not [r for r in rows if "error" in r]
    assert {r["part"] for r in rows} == {"throughput", "cli", "torchrun", "distances"}
    bench = [r for r in rows if r["part"] == "throughput"]
    assert len(bench) == 5 and all(r["tokens_per_s"] > 0 and r["final_loss"] > 0 for r in bench)
    # the variants change speed, never the numbers: padding, the loss path and syncs are exact on CPU
    assert len({r["final_loss"] for r in bench if r["micro_batch"] == 4}) == 1
    resume = next(r for r in rows if r["name"].startswith("SIGKILL"))
    assert resume["metrics_identical"] and resume["weights_identical"], resume
    assert "resumed" in resume["resumed"]
    torchrun = next(r for r in rows if r["part"] == "torchrun")
    assert torchrun["world_size"] == 1 and torchrun["metrics_identical"], torchrun
    dist = next(r for r in rows if r["part"] == "distances")
    assert dist["exact_first_64"] == 64 and dist["seconds"] > 0
    assert report["info"]["quick"] is True
    table = proc.stdout
    for part in ("throughput", "cli", "torchrun", "distances"):
        assert part in table
