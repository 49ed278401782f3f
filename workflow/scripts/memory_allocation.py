"""Rule memory_allocation: figure 5, N = O(D²) (Niu et al. 2024) beside Kaplan's and Chinchilla's allocations."""
import logging
import os

import numpy as np
import pandas as pd

from scalinglab.memory.figures import plot_allocation
from scalinglab.style import save
from scalinglab.memory.allocation import allocation_curves

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
a = snakemake.config["memory"]["allocation"]
if not a["tokens_min"] < a["tokens_max"]:
    raise SystemExit(f"memory_allocation: memory.allocation.tokens_min={a['tokens_min']} must be below "
                     f"tokens_max={a['tokens_max']}")
tokens = np.geomspace(a["tokens_min"], a["tokens_max"], 200)
result = allocation_curves(tokens, a["anchor_compute"])
save(plot_allocation(result, tokens), snakemake.output.figure)
rows = [{"rule": k, "exponent_N_vs_D": v[0]} for k, v in result["curves"].items()]
rows += [{"rule": f"tokens per parameter at C = {a['anchor_compute']:g} ({k})", "exponent_N_vs_D": None,
          "value": v} for k, v in result["tokens_per_parameter"].items()]
tmp = snakemake.output.table + ".tmp"
pd.DataFrame(rows).to_csv(tmp, index=False)
os.replace(tmp, snakemake.output.table)
logging.info("%s", rows)
