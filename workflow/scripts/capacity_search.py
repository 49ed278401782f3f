"""Rule capacity_search: the smallest ladder rung that memorises D patterns (scalinglab.capacity.stages.search)."""
import logging
import sys

from scalinglab.capacity import stages


def main(snakemake):
    logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
    p = snakemake.params
    section = dict(patterns=p.patterns, ladder=p.ladder, train=p.train, criterion_fraction=p.criterion_fraction,
                   params=p.params, seed_offset=p.seed_offset, device=p.device)
    stages.search(section, int(snakemake.wildcards.patterns), seed=p.seed, out_json=snakemake.output.search,
                  threads=snakemake.threads)


try:
    main(snakemake)  # noqa: F821 (injected by Snakemake)
except ValueError as err:
    sys.exit(f"error: {err}")
