"""CLI of one training run: ``python -m scalinglab.train --spec <run_dir>/spec.json``.

Wrap it in ``torchrun --nproc_per_node <gpus>`` (or ``srun ... torchrun``) for data parallelism.
Bad input is one line on stderr: exit 78 (EX_CONFIG) for a setting, spec or data that a retry
would meet again, 1 for anything else; a finished run's outputs sit in the spec's run_dir."""
from __future__ import annotations

import argparse
import sys

from .checkpoint import CheckpointError
from .data import DataError
from .preflight import EXIT_CONFIG, NOT_TRANSIENT, ConfigError, load_spec
from .trainer import TrainingError, train_run


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else repr(exc)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalinglab.train", description=__doc__)
    parser.add_argument("--spec", required=True, help="run spec JSON (see scalinglab.train.trainer)")
    args = parser.parse_args(argv)
    try:
        train_run(load_spec(args.spec))
    except (ConfigError, DataError, ValueError) as exc:  # torch's own checks of a setting are ValueErrors
        print(f"error: {_first_line(exc)} ({NOT_TRANSIENT})", file=sys.stderr, flush=True)
        return EXIT_CONFIG
    except (TrainingError, CheckpointError) as exc:
        print(f"error: {_first_line(exc)}", file=sys.stderr, flush=True)
        return 1
    except OSError as exc:  # a read-only or full run directory: the path, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or _first_line(exc)}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
