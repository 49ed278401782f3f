"""Rule memory_states: last-layer hidden states of one checkpoint at Q query / M memory positions."""
import json
import logging
import os
import sys

import numpy as np

from scalinglab.data.tokens import DataError, open_tokens
from scalinglab.memory.distances import resolve_device
from scalinglab.memory.states import (HubUnavailable, extract_states, own_checkpoint, plan_positions,
                                      pretrained_checkpoint)

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
cfg = snakemake.config["memory"]
out = snakemake.output
p = snakemake.params


def write_json(path, obj):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(path + ".tmp", path)


def main():
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
        print(f"memory_states: WARNING {exc}", file=sys.stderr)
        logging.warning("%s", exc)
        for path in (out.queries, out.memories):
            np.save(path + ".tmp.npy", np.zeros((0, 0), np.float32))
            os.replace(path + ".tmp.npy", path)
        write_json(out.meta, {"checkpoint": f"openai-{p.model}", "available": False, "reason": str(exc)})
        return
    context = min(cfg["context"], ckpt.block_size)
    meta = {"checkpoint": ckpt.name, "available": True, "n_embd": ckpt.n_embd,
            "final_layer_norm": cfg["final_layer_norm"], "context": context, "device": str(device)}
    for what, json_path, count, seed, path in (
            ("memory.queries", snakemake.input.val, cfg["queries"], cfg["seed"], out.queries),
            ("memory.memories", snakemake.input.train, cfg["memories"], cfg["seed"] + 1, out.memories)):
        tokens, token_meta = open_tokens(json_path)
        if token_meta["vocab_size"] > ckpt.vocab_size:
            raise ValueError(f"{json_path} has vocab_size={token_meta['vocab_size']} but {ckpt.name} "
                             f"has {ckpt.vocab_size}: use token data from the checkpoint's tokenizer")
        plan = plan_positions(len(tokens), count, context, cfg["positions_per_window"],
                              cfg["min_context"], seed, f"{what} ({json_path})")
        tmp = path + ".tmp.npy"
        states = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(plan.count, ckpt.n_embd))
        extract_states(ckpt, tokens, plan, states, batch_size=cfg["batch_size"], log=logging.info)
        states.flush()
        del states
        os.replace(tmp, path)
        meta[what.split(".")[1]] = {"source": json_path, "count": plan.count,
                                    "windows": len(plan.window_starts), "seed": seed}
        logging.info("%s: %d states of width %d from %s", what, plan.count, ckpt.n_embd, json_path)
    write_json(out.meta, meta)


try:
    main()
except (ValueError, DataError, FileNotFoundError) as exc:
    logging.error("%s", exc)
    sys.exit(f"memory_states: {exc}")
