"""Rule memory_fig3_data_fraction: figure 3 (Niu et al. 2024, Fig. 3), loss against tokens at each data fraction."""
import json
import logging
import sys

import pandas as pd

from scalinglab.memory.figures import plot_data_fraction_curves
from scalinglab.style import save, size_label

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
curves, sizes = {}, set()
for metrics_path, summary_path in zip(snakemake.input.metrics, snakemake.input.summaries):
    with open(summary_path) as f:
        summary = json.load(f)
    df = pd.read_csv(metrics_path)
    missing = {"tokens", "train_loss", "val_loss"} - set(df.columns)
    if missing:
        sys.exit(f"memory_fig3_data_fraction: {metrics_path} lacks columns {sorted(missing)} (README 'File formats')")
    curves[float(summary["fraction"])] = df
    sizes.add((summary["model"], summary["params_non_embedding"]))
    logging.info("%s: %d rows, final val %.4f", summary["run"], len(df), summary["final_val_loss"])
model = ", ".join(f"{name} ({size_label(n)})" for name, n in sorted(sizes, key=lambda s: s[1]))
save(plot_data_fraction_curves(curves, model=model), snakemake.output.figure)
