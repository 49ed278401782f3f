"""Rule memory_fig2_distances: figure 2 (Niu et al. 2024, Section 6.1 histogram) and its summary table."""
import json
import logging
import os

import pandas as pd

from scalinglab.memory.figures import plot_memory_distances
from scalinglab.style import save

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
checkpoints, rows = {}, []
for summary_path, distances_path in zip(snakemake.input.summaries, snakemake.input.distances):
    with open(summary_path) as f:
        s = json.load(f)
    if not s["available"]:
        checkpoints[s["label"]] = {"unavailable": s["reason"]}
        logging.info("%s unavailable: %s", s["checkpoint"], s["reason"])
        continue
    checkpoints[s["label"]] = {"distances": pd.read_parquet(distances_path)["distance"].to_numpy(),
                                    "n_embd": s["n_embd"]}
    rows.append({k: s[k] for k in ("checkpoint", "label", "n_embd", "queries", "mean", "std", "min", "max",
                                   "radius_theoretical", "radius_unit_ball", "fraction_below_radius")}
                | {"median": s["quantiles"]["q50"], "memories": s["memories"]["count"]})
save(plot_memory_distances(checkpoints), snakemake.output.figure)
tmp = snakemake.output.table + ".tmp"
pd.DataFrame(rows).to_csv(tmp, index=False)
os.replace(tmp, snakemake.output.table)
