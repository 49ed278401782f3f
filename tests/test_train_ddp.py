"""DDP: torchrun with 2 gloo processes on CPU follows the single-process run with the same global batch."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd

from scalinglab.train import train_run

from test_train import REPO, corpus, make_spec  # noqa: F401  (fixture reused)


def test_torchrun_two_gloo_processes_match_single_process(tmp_path, corpus):  # noqa: F811
    # Same global batch (512 tokens = micro 8 x block 32 x 2 micro-steps single, x 1 x 2 ranks DDP).
    single = make_spec(tmp_path / "single", corpus, max_steps=20, eval_interval=5, checkpoint_interval=10)
    train_run(single)
    ddp = make_spec(tmp_path / "ddp", corpus, max_steps=20, eval_interval=5, checkpoint_interval=10)
    ddp["threads"] = 2  # one thread per rank
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(ddp))
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    proc = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
         "-m", "scalinglab.train", "--spec", str(spec_path)],
        cwd=REPO, env=dict(env, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    a = pd.read_csv(tmp_path / "single" / "metrics.csv")
    b = pd.read_csv(tmp_path / "ddp" / "metrics.csv")
    exact = ["step", "tokens", "flops", "epoch", "lr"]
    pd.testing.assert_frame_equal(a[exact], b[exact], check_exact=True)
    # Gradients are averaged in a different order (all-reduce vs accumulation): float32 round-off only.
    for col in ["train_loss", "val_loss", "grad_norm"]:
        np.testing.assert_allclose(a[col], b[col], rtol=1e-4, atol=1e-5, err_msg=col)
    s = json.loads((tmp_path / "ddp" / "summary.json").read_text())
    assert s["world_size"] == 2 and s["tokens"] == 20 * 512
    # MFU divides global tokens/s by the peak of both devices (world size counted once).
    assert b.mfu.iloc[-1] < 1.0
