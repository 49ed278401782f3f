"""Rule report_expected_loss_bands: figure 13 and the per-run sanity table."""
import json
import logging
import os
import sys

import pandas as pd

from scalinglab.reference import plot_expected_loss_bands
from scalinglab.style import percent, save, size_label
from scalinglab.reference import loss_verdict, reference_losses

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")

with open(snakemake.input.val) as f:
    refs = reference_losses(json.load(f))

curves, rows = {}, []
for metrics_path, summary_path in zip(snakemake.input.metrics, snakemake.input.summaries):
    with open(summary_path) as f:
        summary = json.load(f)
    label = (f"{summary['model']} ({size_label(summary['params_non_embedding'])}) "
             f"@ {percent(summary['fraction'])} of the data")
    curves[label] = pd.read_csv(metrics_path)
    rows.append({"experiment": summary["experiment"], "run": summary["run"],
                 "final_val_loss": summary["final_val_loss"], "best_val_loss": summary["best_val_loss"],
                 "verdict": loss_verdict(summary["final_val_loss"], refs)})
    logging.info("%s: final val %.4f -> %s", summary["run"], summary["final_val_loss"], rows[-1]["verdict"])
if not curves:
    sys.exit("report_expected_loss_bands: no runs in report.reference_experiments; name at least one experiment")

save(plot_expected_loss_bands(curves, refs), snakemake.output.figure)
table = pd.DataFrame(rows)
for ref in refs:
    table[f"ref: {ref.label}"] = ref.loss
tmp = snakemake.output.table + ".tmp"
table.to_csv(tmp, index=False)
os.replace(tmp, snakemake.output.table)
