"""Rules fits_chinchilla_fig3_isoflop / fits_chinchilla_fig4_contours / fits_chinchilla_public_refit (9-11)."""
import json

import pandas as pd

from scalinglab.fits import figures_chinchilla as chinchilla
from scalinglab.style import save
from scalinglab.fits.io import run_main
from scalinglab.fits.public_points import read_points
from scalinglab.fits.runs import read_learning_curves


def main(snakemake):
    cfg = snakemake.config["fits"]
    fit = json.loads(open(snakemake.input.fit).read())
    if snakemake.rule == "fits_chinchilla_fig3_isoflop":
        _, curves = read_learning_curves(snakemake.input.summaries, cfg["params"], cfg["loss"])
        curves = curves[curves["fraction"] == curves["fraction"].max()]
        fig = chinchilla.plot_chinchilla_isoflop(fit, curves.rename(columns={cfg["loss"]: "loss"}))
    elif snakemake.rule == "fits_chinchilla_fig4_contours":
        fig = chinchilla.plot_chinchilla_contours(fit)
    else:
        pts = read_points(snakemake.input.points, drop_highest=cfg["drop_highest_loss"])
        fig = chinchilla.plot_public_refit(pts.N, pts.D, pts.loss, fit,
                                           pd.read_csv(snakemake.input.bootstrap),
                                           level=cfg["interval_level"])
    save(fig, snakemake.output.figure)


run_main(main, snakemake)  # noqa: F821 (injected by Snakemake)
