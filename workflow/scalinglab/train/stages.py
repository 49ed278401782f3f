"""The rule of workflow/rules/train.smk as a plain function: write the run spec, then run
`python -m scalinglab.train` (under torchrun with one process per GPU when the run asks for more
than one). The trainer resumes from its checkpoints by itself."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..io import write_text


class RunFailed(ValueError):
    """The training process exited non-zero; the message is its last error line."""


def train(*, train: str, val: str, metrics: str, summary: str, weights: str, identity: dict, shape: dict,
          settings: dict, gpus: int, threads: int, log: str) -> None:
    run_dir = Path(summary).parent
    spec = dict(run_dir=str(run_dir), train_data=train, val_data=val, identity=identity, model=shape,
                train=settings, threads=threads)
    spec_path = run_dir / "spec.json"
    write_text(json.dumps(spec, indent=2) + "\n", spec_path)
    gpus = int(gpus)
    module = ["-m", "scalinglab.train", "--spec", str(spec_path)]
    if gpus > 1:  # DDP: one process per GPU on this node (multi-node: wrap the same CLI in srun)
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={gpus}", *module]
    else:
        cmd = [sys.executable, *module]
    env = dict(os.environ, OMP_NUM_THREADS=str(max(1, threads // max(1, gpus))))
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        rc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env).returncode
    if rc != 0:
        lines = [line for line in Path(log).read_text().splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error:")]
        raise RunFailed(f"train {run_dir.name} failed (exit {rc}): {(errors or lines or ['see log'])[-1]}")
