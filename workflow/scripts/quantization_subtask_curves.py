"""Rule quantization_subtask_curves: per-subtask learning curves (figure) and their transitions (table)."""
import os
import sys
from pathlib import Path

import pandas as pd

from scalinglab.quantization.curves import learning_order, learning_transitions
from scalinglab.quantization.figures import plot_subtask_curves


def main(snakemake):
    curves = pd.read_csv(snakemake.input.curves)
    if curves.empty:
        raise ValueError("quantization.width_sweep.curve_every is 0: no per-subtask curves were "
                         "recorded; set it to a step interval (e.g. 100)")
    alpha = float(snakemake.config["quantization"]["alpha"])
    plot_subtask_curves(curves, alpha, snakemake.output.png)
    transitions = learning_transitions(curves)
    out = Path(snakemake.output.transitions)
    tmp = out.with_name(f".{out.name}.tmp")
    transitions.to_csv(tmp, index=False)
    os.replace(tmp, out)
    Path(snakemake.log[0]).write_text(learning_order(transitions).to_string(index=False) + "\n")


try:
    main(snakemake)  # noqa: F821 (injected by Snakemake)
except ValueError as err:
    sys.exit(f"error: {err}")
