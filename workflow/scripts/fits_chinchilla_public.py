"""Rule fits_chinchilla_public: Approach 3 with bootstrap on the public Chinchilla points."""
from pathlib import Path

from scalinglab.fits.analysis import public_refit
from scalinglab.fits.io import run_main, write_csv, write_json
from scalinglab.fits.public_points import read_points


def main(snakemake):
    cfg = snakemake.config["fits"]
    pts = read_points(snakemake.input.points, drop_highest=cfg["drop_highest_loss"])
    table, samples, fit = public_refit(pts.N, pts.D, pts.loss, delta=cfg["huber_delta"],
                                       n_boot=cfg["bootstrap_samples"],
                                       level=cfg["interval_level"], seed=snakemake.config["seed"])
    fit["n_dropped"] = pts.n_dropped
    write_csv(samples, snakemake.output.bootstrap)
    write_json(fit, snakemake.output.fit)
    write_csv(table, snakemake.output.table)
    Path(snakemake.log[0]).write_text(table.to_string(index=False) + "\n")


run_main(main, snakemake)  # noqa: F821 (injected by Snakemake)
