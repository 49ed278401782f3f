"""Snakemake `train` job: write the run spec, then run `python -m scalinglab.train` (under torchrun
with one process per GPU when the job has more than one). Resumes from checkpoints by itself."""
import json
import os
import subprocess
import sys
from pathlib import Path

sm = snakemake  # noqa: F821  (injected by Snakemake)
run_dir = Path(sm.output.summary).parent
run_dir.mkdir(parents=True, exist_ok=True)
spec = dict(run_dir=str(run_dir), train_data=sm.input.train, val_data=sm.input.val,
            identity=sm.params.identity, model=sm.params.shape, train=sm.params.settings,
            threads=sm.threads)
spec_path = run_dir / "spec.json"
tmp = spec_path.with_name("spec.json.tmp")
tmp.write_text(json.dumps(spec, indent=2) + "\n")
os.replace(tmp, spec_path)

gpus = int(sm.params.gpus)
module = ["-m", "scalinglab.train", "--spec", str(spec_path)]
if gpus > 1:  # DDP: one process per GPU on this node (multi-node: wrap the same CLI in srun)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={gpus}", *module]
else:
    cmd = [sys.executable, *module]
env = dict(os.environ, OMP_NUM_THREADS=str(max(1, sm.threads // max(1, gpus))))
with open(sm.log[0], "a") as log:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
if rc != 0:
    lines = [l for l in Path(sm.log[0]).read_text().splitlines() if l.strip()]
    errors = [l for l in lines if l.startswith("error:")]
    sys.exit(f"train {run_dir.name} failed (exit {rc}): {(errors or lines or ['see log'])[-1]} [log: {sm.log[0]}]")
