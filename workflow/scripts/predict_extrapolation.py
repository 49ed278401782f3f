"""Rules predict_extrapolation_{runs,public}: fit on the small points, predict the held-out large
ones (scalinglab.predict.extrapolate); writes per-point predictions, a summary and the fitted laws."""
import logging
import sys
from dataclasses import asdict

import numpy as np

from scalinglab.fits.checks import FitInputError
from scalinglab.fits.published import BESIROGLU_2024, HOFFMANN_2022
from scalinglab.fits.public_points import read_points
from scalinglab.fits.runs import read_summaries
from scalinglab.predict.budget import PlanError
from scalinglab.predict.extrapolate import (check_extrapolation, chinchilla_form, holdout_mask,
                                         kaplan_form, summarise)
from scalinglab.fits.io import write_csv, write_json

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO,
                    format="%(asctime)s %(message)s")
cfg = snakemake.config["predict"]
dataset = snakemake.params.dataset
seed = snakemake.config["seed"]
try:
    if dataset == "public":
        p = read_points(snakemake.input.points)
        N, D, L, ids = p.N, p.D, p.loss, np.arange(p.N.size)
        held = holdout_mask(N, D, threshold=cfg["public_holdout_flops"])
        # Published constants predict too: Hoffmann's (fit on all of Chinchilla's runs) and the
        # replication's refit (fit on all 240 points, so in-sample for the held-out ones).
        refs = {"Hoffmann 2022 published": HOFFMANN_2022,
                "Besiroglu 2024 refit (all points)": BESIROGLU_2024}
    else:
        runs = read_summaries(snakemake.input.summaries)
        N = runs[cfg["params"]].to_numpy(float)
        D = runs["tokens"].to_numpy(float)
        L = runs[cfg["loss"]].to_numpy(float)
        ids = runs["run"].to_numpy()
        budgets = runs["budget"].to_numpy(float)
        held = holdout_mask(N, D, by=cfg["holdout_by"], n_largest=cfg["holdout_largest"],
                            compute=budgets if np.isfinite(budgets).all() else None)
        refs = {}
    logging.info("%s: %d points, %d held out (%s)", dataset, N.size, int(held.sum()),
                 "C >= %g" % cfg["public_holdout_flops"] if dataset == "public"
                 else f"{cfg['holdout_largest']} largest by {cfg['holdout_by']}")
    forms = [chinchilla_form(cfg["n_starts"], seed, cfg["bootstrap_extra_starts"]), kaplan_form()]
    pred, fitted = check_extrapolation(N, D, L, held, forms, references=refs,
                                       n_boot=cfg["n_boot"], level=cfg["level"], seed=seed,
                                       dataset=dataset, ids=ids)
except (PlanError, FitInputError) as err:
    logging.error("%s", err)
    print(f"predict_extrapolation ({dataset}): error: {err}", file=sys.stderr)
    sys.exit(1)
summary = summarise(pred)
logging.info("\n%s", summary.to_string())
write_csv(pred, snakemake.output.predictions)
write_csv(summary, snakemake.output.summary)
write_json({name: asdict(law) for name, law in fitted.items()}, snakemake.output.fitted)
