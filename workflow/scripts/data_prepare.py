"""Rule prepare_data: config `data` section -> results/data/val.* and results/data/subsets/*."""
import logging
import sys
from pathlib import Path

from scalinglab.data.prepare import prepare_data
from scalinglab.data.tokens import DataError

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
sys.stderr = open(snakemake.log[0], "a", buffering=1)  # progress bars go to the log too

cfg = snakemake.config["data"]
seed = cfg.get("seed")
seed = snakemake.config["seed"] if seed is None else seed
try:
    written = prepare_data(cfg, Path(snakemake.output.val).parent, seed, threads=snakemake.threads)
except DataError as err:
    logging.error("%s", err)
    print(f"prepare_data: error: {err}", file=sys.__stderr__)
    sys.exit(1)
for path, meta in written.items():
    logging.info("%s: %d tokens, %d documents", path, meta["tokens"], meta["documents"])
