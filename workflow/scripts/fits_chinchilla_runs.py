"""Rule fits_chinchilla_runs: Approaches 1-3 on the pipeline's IsoFLOP (and Kaplan) runs."""
from pathlib import Path

import pandas as pd

from scalinglab.fits.analysis import chinchilla_runs
from scalinglab.fits.io import run_main, write_csv, write_json
from scalinglab.fits.runs import chinchilla_points, irreducible_loss, read_learning_curves, read_summaries


def main(snakemake):
    cfg = snakemake.config["fits"]
    summaries = read_summaries(snakemake.input.summaries)
    # Approach 3 takes every run trained on the full data (single epoch: D is tokens trained).
    summaries = summaries[summaries["fraction"] == summaries["fraction"].max()]
    final = chinchilla_points(summaries, cfg["params"], "final_" + cfg["loss"])
    curves, _ = read_learning_curves(list(summaries["path"]), cfg["params"], cfg["loss"])
    tables, data = chinchilla_runs(
        final, curves, entropy=irreducible_loss(snakemake.input.val), delta=cfg["huber_delta"],
        n_boot=cfg["bootstrap_samples"], level=cfg["interval_level"],
        seed=snakemake.config["seed"], n_grid=cfg["approach1_grid"],
        tolerance=cfg["irreducible_tolerance"])
    irreducible = tables.get("irreducible", pd.DataFrame(
        [dict(fit="own runs, Approach 3", note="real text: the irreducible loss is unknown")]))
    write_json(data, snakemake.output.fit)
    write_csv(tables["allocation"], snakemake.output.allocation)
    write_csv(irreducible, snakemake.output.irreducible)
    write_csv(tables["approach3"], snakemake.output.approach3)
    write_csv(tables["isoflop"], snakemake.output.isoflop)
    Path(snakemake.log[0]).write_text("\n\n".join(t.to_string(index=False) for t in tables.values()) + "\n")


run_main(main, snakemake)  # noqa: F821 (injected by Snakemake)
