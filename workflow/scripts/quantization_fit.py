"""Rule quantization_fit: mark each sweep's fit range and fit its exponent beside the theory."""
import os
import sys
from pathlib import Path

import pandas as pd

from scalinglab.quantization.fit import exponents_table, fit_sweep_exponents, mark_fit_range


def write(table, path):
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    table.to_csv(tmp, index=False)
    os.replace(tmp, path)


def main(snakemake):
    q = snakemake.config["quantization"]
    points = pd.concat([pd.read_csv(p) for p in snakemake.input.sweeps], ignore_index=True)
    points = mark_fit_range(points, q["n_tasks"], q["fit"]["min_quanta"], q["fit"]["max_quanta_fraction"])
    fits = fit_sweep_exponents(points, level=q["fit"]["level"])
    exponents = exponents_table(fits, q["n_tasks"])
    write(points, snakemake.output.points)
    write(fits, snakemake.output.fits)
    write(exponents, snakemake.output.exponents)
    Path(snakemake.log[0]).write_text(fits.to_string(index=False) + "\n")


try:
    main(snakemake)  # noqa: F821 (injected by Snakemake)
except ValueError as err:
    sys.exit(f"error: {err}")
