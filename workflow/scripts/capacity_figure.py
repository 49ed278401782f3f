"""Rule capacity_figure: N_min against D with the fitted line and reference slopes 1, 1.35, 2."""
import logging
import sys

from scalinglab.capacity import stages


def main(snakemake):
    logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
    stages.figure(snakemake.input.fit, snakemake.output.figure)


try:
    main(snakemake)  # noqa: F821 (injected by Snakemake)
except ValueError as err:
    sys.exit(f"error: {err}")
