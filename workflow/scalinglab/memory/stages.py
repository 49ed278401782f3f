"""One function per rule of workflow/rules/memory.smk (Niu et al. 2024), named after the rule:
paths and the config values the rule passes as params in, files out (atomic, scalinglab.io)."""
from __future__ import annotations

import json
import logging
import sys

import numpy as np
import pandas as pd

from ..io import atomic_path, write_csv, write_json, write_npy, write_parquet
from ..style import save, size_label
from . import figures
from .allocation import allocation_curves

log = logging.getLogger("scalinglab.memory")


def _empty_distances() -> pd.DataFrame:
    return pd.DataFrame({"query": pd.Series(dtype="int64"), "nearest_memory": pd.Series(dtype="int64"),
                         "distance": pd.Series(dtype="float64")})


def memory_distances(*, val: str, train: str, queries: str, memories: str, distances: str, histogram: str,
                     summary: str, kind: str, run_dir: str | None, model: str | None, label: str,
                     device: str, final_layer_norm: bool, context: int, n_queries: int, n_memories: int,
                     positions_per_window: int, min_context: int, batch_size: int, chunk_size: int,
                     query_chunk: int, histogram_bins: int, seed: int, require_pretrained: bool,
                     run_summary: str | None = None, weights: str | None = None) -> None:
    """Hidden states of one checkpoint at Q query / M memory positions, then the exact nearest-memory
    distance of every query, its histogram and summary (Niu et al. 2024, §6.1). Extraction and
    search share one job: the imports and the device."""
    from ..data.tokens import open_tokens
    from .distances import histogram_table, nearest_neighbours, resolve_device, state_scale, summary_statistics
    from .states import (HubUnavailable, extract_states, own_checkpoint, plan_positions, plan_rows,
                         pretrained_checkpoint, shared_suffix)

    torch_device = resolve_device(device)
    try:
        if kind == "own":
            ckpt = own_checkpoint(run_dir, final_layer_norm, torch_device)
        else:
            ckpt = pretrained_checkpoint(model, final_layer_norm, torch_device)
    except HubUnavailable as exc:
        if require_pretrained:
            raise ValueError(f"{exc} (memory.pretrained.require is true)") from None
        # an explicit 'unavailable' result: the figure notes it, the own checkpoints carry on
        print(f"memory_distances: WARNING {exc}", file=sys.__stderr__)
        log.warning("%s", exc)
        for path in (queries, memories):
            write_npy(np.zeros((0, 0), np.float32), path)
        write_parquet(_empty_distances(), distances)
        write_csv(pd.DataFrame(columns=["bin_left", "bin_right", "count", "density"]), histogram)
        write_json({"checkpoint": f"openai-{model}", "label": label, "available": False, "reason": str(exc)},
                   summary, indent=2)
        return
    context = min(context, ckpt.block_size)
    meta = {"checkpoint": ckpt.name, "label": label, "available": True, "n_embd": ckpt.n_embd,
            "final_layer_norm": final_layer_norm, "context": context, "device": str(torch_device)}
    # plan both sets first: a Q or M the data cannot supply fails before anything is written
    jobs = []
    for what, json_path, count, set_seed, path in (("memory.queries", val, n_queries, seed, queries),
                                                   ("memory.memories", train, n_memories, seed + 1, memories)):
        tokens, token_meta = open_tokens(json_path)
        if token_meta["vocab_size"] > ckpt.vocab_size:
            raise ValueError(f"{json_path} has vocab_size={token_meta['vocab_size']} but {ckpt.name} "
                             f"has {ckpt.vocab_size}: use token data from the checkpoint's tokenizer")
        plan = plan_positions(len(tokens), count, context, positions_per_window, min_context, set_seed, what,
                              source=json_path)
        jobs.append((what, json_path, tokens, plan, set_seed, path))
    for what, json_path, tokens, plan, set_seed, path in jobs:
        with atomic_path(path) as tmp:
            states = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(plan.count, ckpt.n_embd))
            extract_states(ckpt, tokens, plan, states, batch_size=batch_size, log=log.info)
            states.flush()
            del states
        meta[what.split(".")[1]] = {"source": json_path, "count": plan.count,
                                    "windows": len(plan.window_starts), "seed": set_seed}
        log.info("%s: %d states of width %d from %s", what, plan.count, ckpt.n_embd, json_path)

    q = np.load(queries, mmap_mode="r")
    m = np.load(memories, mmap_mode="r")
    M = m.shape[0]
    d, idx = nearest_neighbours(
        q, m, chunk_size=chunk_size, query_chunk=query_chunk, device=device,
        progress=lambda done: log.info("%s: %d/%d memories searched", meta["checkpoint"], done, M))
    stats = {**meta, **summary_statistics(d, meta["n_embd"])}
    stats.update(state_scale(q, m, d, meta["n_embd"]))
    # How often a query and its nearest memory end in the same tokens (a repeated local context).
    (_, _, q_tokens, q_plan, _, _), (_, _, m_tokens, m_plan, _, _) = jobs
    suffix = shared_suffix(q_tokens, plan_rows(q_plan), m_tokens, plan_rows(m_plan)[idx], context)
    stats["shared_suffix"] = {"median": float(np.median(suffix)), "mean": float(suffix.mean()),
                              "fraction_at_least_1": float((suffix >= 1).mean()),
                              "fraction_at_least_2": float((suffix >= 2).mean())}
    write_parquet(pd.DataFrame({"query": np.arange(len(d)), "nearest_memory": idx, "distance": d}), distances)
    write_csv(histogram_table(d, histogram_bins), histogram)
    write_json(stats, summary, indent=2)
    log.info("%s: mean nearest distance %.3f (radius %.3f exact, %.3f theory)", meta["checkpoint"],
             stats["mean"], stats["radius_unit_ball"], stats["radius_theoretical"])


def memory_fig1_energy_landscapes(*, figure: str, patterns: list, second_layer_patterns: list, beta: float,
                                  extent: float, resolution: int) -> None:
    save(figures.fig1_energy_landscapes(patterns, second_layer_patterns, beta=beta, extent=extent,
                                        resolution=resolution), figure)
    log.info("energy landscapes of %d patterns on a %d^2 grid", len(patterns), resolution)


DISTANCE_TABLE_COLUMNS = ("checkpoint", "label", "n_embd", "queries", "mean", "std", "min", "max",
                          "radius_theoretical", "radius_unit_ball", "fraction_below_radius")
# The states' scale and the near-copies (memory.distances.state_scale): why the radius does or
# does not apply, beside it.
SCALE_COLUMNS = ("state_norm_mean", "state_rms_coordinate", "median_over_rms_coordinate",
                 "fraction_near_copies")


def memory_fig2_distances(*, summaries: list, histograms: list, figure: str, table: str) -> None:
    """Figure 2 draws each checkpoint's histogram.csv (the bins of memory_distances) and its radii."""
    checkpoints, rows = {}, []
    for summary_path, histogram_path in zip(summaries, histograms):
        with open(summary_path, encoding="utf-8") as f:
            s = json.load(f)
        if not s["available"]:
            checkpoints[s["label"]] = {"unavailable": s["reason"]}
            log.info("%s unavailable: %s", s["checkpoint"], s["reason"])
            continue
        checkpoints[s["label"]] = {"histogram": pd.read_csv(histogram_path), "n_embd": s["n_embd"],
                                   "queries": s["queries"], "state_norm_mean": s.get("state_norm_mean"),
                                   "fraction_near_copies": s.get("fraction_near_copies")}
        rows.append({k: s[k] for k in DISTANCE_TABLE_COLUMNS}
                    | {"median": s["quantiles"]["q50"], "memories": s["memories"]["count"]}
                    | {k: s.get(k) for k in SCALE_COLUMNS}
                    | {"shared_suffix_median": s.get("shared_suffix", {}).get("median")})
    save(figures.fig2_distances(checkpoints), figure)
    write_csv(pd.DataFrame(rows), table)


def memory_fig3_data_fraction(*, metrics: list, summaries: list, figure: str) -> None:
    curves, sizes = {}, set()
    for metrics_path, summary_path in zip(metrics, summaries):
        with open(summary_path, encoding="utf-8") as f:
            run = json.load(f)
        df = pd.read_csv(metrics_path)
        missing = {"tokens", "train_loss", "val_loss"} - set(df.columns)
        if missing:
            raise ValueError(f"{metrics_path} lacks columns {sorted(missing)} (README 'File formats')")
        curves[float(run["fraction"])] = df
        sizes.add((run["model"], run["params_non_embedding"]))
        log.info("%s: %d rows, final val %.4f", run["run"], len(df), run["final_val_loss"])
    model = ", ".join(f"{name} ({size_label(n)})" for name, n in sorted(sizes, key=lambda s: s[1]))
    save(figures.fig3_data_fraction(curves, model=model), figure)


def memory_allocation(*, figure: str, table: str, tokens_min: float, tokens_max: float,
                      anchor_compute: float) -> None:
    """Figure 5: N = O(D²) (Niu et al. 2024) beside Kaplan's and Chinchilla's allocations."""
    if not tokens_min < tokens_max:
        raise ValueError(f"memory.allocation.tokens_min={tokens_min} must be below tokens_max={tokens_max}")
    tokens = np.geomspace(tokens_min, tokens_max, 200)
    result = allocation_curves(tokens, anchor_compute)
    save(figures.allocation(result, tokens), figure)
    rows = [{"rule": k, "exponent_N_vs_D": v[0]} for k, v in result["curves"].items()]
    rows += [{"rule": f"tokens per parameter at C = {anchor_compute:g} ({k})", "exponent_N_vs_D": None,
              "value": v} for k, v in result["tokens_per_parameter"].items()]
    write_csv(pd.DataFrame(rows), table)
    log.info("%s", rows)
