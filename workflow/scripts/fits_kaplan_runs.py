"""Rule fits_kaplan_runs: Kaplan's L(N), L(D), L(C_min), L(N, D) and L(N, S) on the pipeline's runs."""
from pathlib import Path

import pandas as pd

from scalinglab.fits.analysis import kaplan_runs
from scalinglab.fits.io import run_main, write_csv, write_json
from scalinglab.fits.runs import (irreducible_loss, kaplan_points, read_learning_curves,
                                  read_summaries, subset_sizes)


def main(snakemake):
    cfg = snakemake.config["fits"]
    summaries = read_summaries(snakemake.input.summaries)
    final = kaplan_points(summaries, subset_sizes(snakemake.input.subsets), cfg["params"])
    _, rows = read_learning_curves(snakemake.input.summaries, cfg["params"], cfg["loss"])
    rows = rows.rename(columns={cfg["loss"]: "loss"})
    tables, data = kaplan_runs(final, rows, entropy=irreducible_loss(snakemake.input.val),
                               n_boot=cfg["bootstrap_samples"], level=cfg["interval_level"],
                               seed=snakemake.config["seed"], tolerance=cfg["irreducible_tolerance"],
                               n_grid=cfg["approach1_grid"])
    irreducible = tables.get("irreducible", pd.DataFrame(
        [dict(fit="own runs, Kaplan L(N) with E", note="no irreducible loss known or fitted")]))
    write_json(data, snakemake.output.fit)
    write_csv(irreducible, snakemake.output.irreducible)
    write_csv(tables["kaplan"], snakemake.output.table)
    Path(snakemake.log[0]).write_text("\n\n".join(t.to_string(index=False) for t in tables.values()) + "\n")


run_main(main, snakemake)  # noqa: F821 (injected by Snakemake)
