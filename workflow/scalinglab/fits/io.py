"""File helpers of the fit and figure rule scripts: atomic JSON writes, one-line failures."""
import json
import os
import sys
from pathlib import Path

from .checks import FitInputError
from .tables import write_csv  # noqa: F401  (re-exported for the scripts)


def write_json(obj, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=float) + "\n")
    os.replace(tmp, path)


def run_main(main, snakemake):
    """Run a script's main; a bad input ends the job with its one-line message (no traceback)."""
    try:
        main(snakemake)
    except FitInputError as err:
        Path(snakemake.log[0]).parent.mkdir(parents=True, exist_ok=True)
        with open(snakemake.log[0], "a") as fh:
            fh.write(f"error: {err}\n")
        sys.exit(f"error: {err}")
