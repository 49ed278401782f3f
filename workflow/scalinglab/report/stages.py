"""One function per rule of workflow/rules/report.smk, named after the rule."""
from __future__ import annotations

import json
import logging

import pandas as pd

from ..io import write_csv
from ..reference import loss_verdict, expected_loss_bands, reference_losses
from ..style import save

log = logging.getLogger("scalinglab.report")


def report_expected_loss_bands(*, metrics: list, summaries: list, val: str, figure: str, table: str) -> None:
    """Figure 13 (validation curves beside reference losses) and the per-run sanity table."""
    with open(val, encoding="utf-8") as f:
        refs = reference_losses(json.load(f))
    curves, rows = {}, []
    for metrics_path, summary_path in zip(metrics, summaries):
        with open(summary_path, encoding="utf-8") as f:
            run = json.load(f)
        label = f"{run['model']} @ {run['fraction']:g} of data"
        curves[label] = pd.read_csv(metrics_path)
        rows.append({"experiment": run["experiment"], "run": run["run"], "final_val_loss": run["final_val_loss"],
                     "best_val_loss": run["best_val_loss"], "verdict": loss_verdict(run["final_val_loss"], refs)})
        log.info("%s: final val %.4f -> %s", run["run"], run["final_val_loss"], rows[-1]["verdict"])
    if not curves:
        raise ValueError("no runs in report.reference_experiments; name at least one experiment")
    save(expected_loss_bands(curves, refs), figure)
    sanity = pd.DataFrame(rows)
    for ref in refs:
        sanity[f"ref: {ref.label}"] = ref.loss
    write_csv(sanity, table)
