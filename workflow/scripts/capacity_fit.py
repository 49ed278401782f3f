"""Rule capacity_fit: every D's search -> the per-run table and fit.json (scalinglab.capacity.stages.fit)."""
import logging
import sys

from scalinglab.capacity import stages


def main(snakemake):
    logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
    p = snakemake.params
    section = dict(patterns=p.patterns, train=p.train, criterion_fraction=p.criterion_fraction, params=p.params)
    stages.fit(section, list(snakemake.input.searches), level=p.level, n_boot=p.bootstrap_samples, seed=p.seed,
               fit_json=snakemake.output.fit, runs_csv=snakemake.output.runs)


try:
    main(snakemake)  # noqa: F821 (injected by Snakemake)
except ValueError as err:
    sys.exit(f"error: {err}")
