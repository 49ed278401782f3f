"""CLI of one training run: ``python -m scalinglab.train --spec <run_dir>/spec.json``.

Wrap it in ``torchrun --nproc_per_node <gpus>`` (or ``srun ... torchrun``) for data parallelism.
Bad input exits 1 with a one-line message; a finished run's outputs sit in the spec's run_dir."""
from __future__ import annotations

import argparse
import json
import sys

from .data import DataError
from .trainer import TrainingError, train_run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalinglab.train", description=__doc__)
    parser.add_argument("--spec", required=True, help="run spec JSON (see scalinglab.train.trainer)")
    args = parser.parse_args(argv)
    try:
        with open(args.spec) as f:
            spec = json.load(f)
        train_run(spec)
    except (TrainingError, DataError, ValueError, FileNotFoundError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else repr(exc)
        print(f"error: {msg}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
