"""Rule memory_distances: exact nearest-memory distance of every query, histogram, summary."""
import json
import logging
import os
import sys

import numpy as np
import pandas as pd

from scalinglab.memory.distances import histogram_table, nearest_neighbours, summary_statistics

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
cfg = snakemake.config["memory"]
out = snakemake.output


def dump_json(obj):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2)
    return write


def write_atomic(path, write):
    tmp = f"{os.path.dirname(path)}/.{os.path.basename(path)}.tmp"
    write(tmp)
    os.replace(tmp, path)


def main():
    with open(snakemake.input.meta) as f:
        meta = json.load(f)
    if not meta["available"]:
        empty = pd.DataFrame({"query": pd.Series(dtype="int64"), "nearest_memory": pd.Series(dtype="int64"),
                              "distance": pd.Series(dtype="float64")})
        write_atomic(out.distances, lambda t: empty.to_parquet(t, index=False))
        write_atomic(out.histogram, lambda t: pd.DataFrame(
            columns=["bin_left", "bin_right", "count", "density"]).to_csv(t, index=False))
        write_atomic(out.summary, dump_json(meta))
        return
    queries = np.load(snakemake.input.queries, mmap_mode="r")
    memories = np.load(snakemake.input.memories, mmap_mode="r")
    if queries.shape[1] != meta["n_embd"] or memories.shape[1] != meta["n_embd"]:
        raise ValueError(f"states of width {queries.shape[1]}/{memories.shape[1]} do not match "
                         f"{meta['checkpoint']}'s n_embd={meta['n_embd']}: rerun memory_states")
    M = memories.shape[0]
    d, idx = nearest_neighbours(
        queries, memories, chunk_size=cfg["chunk_size"], query_chunk=cfg["query_chunk"], device=cfg["device"],
        progress=lambda done: logging.info("%s: %d/%d memories searched", meta["checkpoint"], done, M))
    table = pd.DataFrame({"query": np.arange(len(d)), "nearest_memory": idx, "distance": d})
    summary = {**meta, **summary_statistics(d, meta["n_embd"])}
    write_atomic(out.distances, lambda t: table.to_parquet(t, index=False))
    write_atomic(out.histogram, lambda t: histogram_table(d, cfg["histogram_bins"]).to_csv(t, index=False))
    write_atomic(out.summary, dump_json(summary))
    logging.info("%s: mean nearest distance %.3f (radius %.3f exact, %.3f theory)", meta["checkpoint"],
                 summary["mean"], summary["radius_unit_ball"], summary["radius_theoretical"])


try:
    main()
except ValueError as exc:
    logging.error("%s", exc)
    sys.exit(f"memory_distances: {exc}")
