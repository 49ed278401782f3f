"""Rules fits_kaplan_fig1_power_laws / fits_kaplan_fig4_loss_n_d / fits_kaplan_fig2_learning_curves (figures 6-8)."""
import json

from scalinglab.fits import figures_kaplan as kaplan
from scalinglab.style import save
from scalinglab.fits.io import run_main
from scalinglab.fits.runs import read_learning_curves


def main(snakemake):
    cfg = snakemake.config["fits"]
    fit = json.loads(open(snakemake.input.fit).read())
    _, curves = read_learning_curves(snakemake.input.summaries, cfg["params"], cfg["loss"])
    curves = curves.rename(columns={cfg["loss"]: "loss"})
    if snakemake.rule == "fits_kaplan_fig1_power_laws":
        fig = kaplan.plot_kaplan_power_laws(fit, curves)
    elif snakemake.rule == "fits_kaplan_fig4_loss_n_d":
        fig = kaplan.plot_kaplan_joint(fit)
    else:
        fig = kaplan.plot_kaplan_learning_curves(fit, curves)
    save(fig, snakemake.output.figure)


run_main(main, snakemake)  # noqa: F821 (injected by Snakemake)
