"""Rule memory_distances: hidden states of one checkpoint at Q query / M memory positions, then the
exact nearest-memory distance of every query, its histogram and summary (Niu et al. 2024, §6.1).
One job per checkpoint: extraction and search share the imports and the device."""
import json
import logging
import os
import sys

import numpy as np
import pandas as pd

from scalinglab.data.tokens import DataError, open_tokens
from scalinglab.memory.distances import histogram_table, nearest_neighbours, resolve_device, summary_statistics
from scalinglab.memory.states import (HubUnavailable, extract_states, own_checkpoint, plan_positions,
                                      pretrained_checkpoint)

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
cfg = snakemake.config["memory"]
out = snakemake.output
p = snakemake.params


def dump_json(obj):
    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2)
    return write


def save_npy(array):
    def write(tmp):
        with open(tmp, "wb") as f:  # a file object: np.save would append .npy to a bare name
            np.save(f, array)
    return write


def write_atomic(path, write):
    tmp = f"{os.path.dirname(path)}/.{os.path.basename(path)}.tmp"
    write(tmp)
    os.replace(tmp, path)


def extract() -> dict:
    """Write queries.npy and memories.npy; return the checkpoint's metadata."""
    device = resolve_device(cfg["device"])
    try:
        if p.kind == "own":
            ckpt = own_checkpoint(p.run_dir, cfg["final_layer_norm"], device)
        else:
            ckpt = pretrained_checkpoint(p.model, cfg["final_layer_norm"], device)
    except HubUnavailable as exc:
        if cfg["pretrained"]["require"]:
            raise ValueError(f"{exc} (memory.pretrained.require is true)") from None
        # an explicit 'unavailable' result: the figure notes it, the own checkpoints carry on
        print(f"memory_distances: WARNING {exc}", file=sys.stderr)
        logging.warning("%s", exc)
        for path in (out.queries, out.memories):
            write_atomic(path, save_npy(np.zeros((0, 0), np.float32)))
        return {"checkpoint": f"openai-{p.model}", "label": p.label, "available": False, "reason": str(exc)}
    context = min(cfg["context"], ckpt.block_size)
    meta = {"checkpoint": ckpt.name, "label": p.label, "available": True, "n_embd": ckpt.n_embd,
            "final_layer_norm": cfg["final_layer_norm"], "context": context, "device": str(device)}
    # plan both sets first: a Q or M the data cannot supply fails before anything is written
    jobs = []
    for what, json_path, count, seed, path in (
            ("memory.queries", snakemake.input.val, cfg["queries"], cfg["seed"], out.queries),
            ("memory.memories", snakemake.input.train, cfg["memories"], cfg["seed"] + 1, out.memories)):
        tokens, token_meta = open_tokens(json_path)
        if token_meta["vocab_size"] > ckpt.vocab_size:
            raise ValueError(f"{json_path} has vocab_size={token_meta['vocab_size']} but {ckpt.name} "
                             f"has {ckpt.vocab_size}: use token data from the checkpoint's tokenizer")
        plan = plan_positions(len(tokens), count, context, cfg["positions_per_window"],
                              cfg["min_context"], seed, what, source=json_path)
        jobs.append((what, json_path, tokens, plan, seed, path))
    for what, json_path, tokens, plan, seed, path in jobs:
        tmp = path + ".tmp.npy"
        states = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(plan.count, ckpt.n_embd))
        extract_states(ckpt, tokens, plan, states, batch_size=cfg["batch_size"], log=logging.info)
        states.flush()
        del states
        os.replace(tmp, path)
        meta[what.split(".")[1]] = {"source": json_path, "count": plan.count,
                                    "windows": len(plan.window_starts), "seed": seed}
        logging.info("%s: %d states of width %d from %s", what, plan.count, ckpt.n_embd, json_path)
    return meta


def search(meta: dict):
    """Nearest memory of every query -> distances.parquet, histogram.csv, summary.json."""
    if not meta["available"]:
        empty = pd.DataFrame({"query": pd.Series(dtype="int64"), "nearest_memory": pd.Series(dtype="int64"),
                              "distance": pd.Series(dtype="float64")})
        write_atomic(out.distances, lambda t: empty.to_parquet(t, index=False))
        write_atomic(out.histogram, lambda t: pd.DataFrame(
            columns=["bin_left", "bin_right", "count", "density"]).to_csv(t, index=False))
        write_atomic(out.summary, dump_json(meta))
        return
    queries = np.load(out.queries, mmap_mode="r")
    memories = np.load(out.memories, mmap_mode="r")
    if queries.shape[1] != meta["n_embd"] or memories.shape[1] != meta["n_embd"]:
        raise ValueError(f"states of width {queries.shape[1]}/{memories.shape[1]} do not match "
                         f"{meta['checkpoint']}'s n_embd={meta['n_embd']}: delete them and rerun")
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
    search(extract())
except (ValueError, DataError, FileNotFoundError) as exc:
    logging.error("%s", exc)
    sys.exit(f"memory_distances: {exc}")
