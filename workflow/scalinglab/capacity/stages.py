"""One plain function per rule of workflow/rules/capacity.smk; the scripts only unpack Snakemake.

- :func:`search`: one pattern count D: bisection over the ladder -> results/capacity/search/D<D>.json
- :func:`fit`: every D -> results/capacity/runs.csv (one row per training) and fit.json (the contract
  of notes/PREAMBLE.md: exponent, lo, hi, level, n_points, criterion, points)
- :func:`figure`: fit.json -> results/figures/capacity_n_vs_d.png
"""
from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

import pandas as pd
import torch

from scalinglab.capacity.fit import (REFERENCES, bits_per_parameter, compare_with_references, fit_exponent,
                                    local_exponents)
from scalinglab.capacity.memorise import TrainSpec, gpt_config, memorise
from scalinglab.capacity.patterns import PatternSpec, draw_patterns
from scalinglab.capacity.search import ladder_rungs, smallest_memorising
from scalinglab.counting import params_non_embedding, params_total

log = logging.getLogger(__name__)

PARAM_COUNTS = {"params_total": params_total, "params_non_embedding": params_non_embedding}


def _write_atomic(path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def pattern_spec(section: dict) -> PatternSpec:
    p = section["patterns"]
    return PatternSpec(key_len=p["key_len"], value_len=p["value_len"], vocab_size=p["vocab_size"],
                       min_key_distance=p["min_key_distance"])


def train_spec(section: dict) -> TrainSpec:
    t = section["train"]
    return TrainSpec(max_steps=t["max_steps"], lr=t["lr"], batch_size=t["batch_size"], eval_every=t["eval_every"],
                     criterion_fraction=section["criterion_fraction"], warmup_steps=t["warmup_steps"],
                     stall_evals=t["stall_evals"], stall_improvement=t["stall_improvement"])


def criterion_text(section: dict) -> str:
    spec = pattern_spec(section)
    f = section["criterion_fraction"]
    return (f"mean value-token loss on all D patterns <= {f:g} x ln {spec.vocab_size} = "
            f"{f * spec.nats_per_value_token:.3f} nats within {section['train']['max_steps']} steps "
            f"({spec.bits_per_pattern:g} bits per pattern)")


def rungs_of(section: dict) -> list[dict]:
    spec = pattern_spec(section)
    count = PARAM_COUNTS[section["params"]]
    return ladder_rungs(section["ladder"], lambda shape: count(gpt_config(shape, spec)))


def search(section: dict, n_patterns: int, seed: int, out_json, threads: int = 1) -> dict:
    """Smallest ladder rung memorising the first ``n_patterns`` patterns; writes and returns the record."""
    torch.set_num_threads(int(threads))
    spec, train = pattern_spec(section), train_spec(section)
    rungs = rungs_of(section)
    base = int(seed) + int(section["seed_offset"])
    patterns = draw_patterns(n_patterns, spec, seed=base)
    log.info("capacity D=%d: %d rungs (%d..%d %s), criterion: %s", n_patterns, len(rungs), rungs[0]["params"],
             rungs[-1]["params"], section["params"], criterion_text(section))

    def trial(rung):
        record = memorise(patterns, spec, rung, train, seed=base + 1, device=section["device"])
        # the ladder's count convention, beside the total the trainer reports
        return dict(record, name=rung["name"], params=rung["params"], params_total=record["params"])

    result = smallest_memorising(rungs, trial)
    i = result["index"]

    def shape(k):
        return {key: rungs[k][key] for key in ("n_layer", "n_head", "n_embd")}

    out = dict(patterns=int(n_patterns), bits=n_patterns * spec.bits_per_pattern,
               params_convention=section["params"], criterion=criterion_text(section),
               # the bracket's shapes, so the fit can recount them under the other convention
               shape_lo=shape(len(rungs) - 1 if i is None else i - 1) if i != 0 else None,
               shape_hi=shape(i) if i is not None else None, **result)
    log.info("capacity D=%d: N_min in (%s, %s] %s after %d trainings, %.1f CPU-s", n_patterns, result["params_lo"],
             result["params_hi"], f"(censored {result['censored']})" if result["censored"] else "",
             len(result["trials"]), sum(t["cpu_seconds"] for t in result["trials"]))
    _write_atomic(out_json, json.dumps(out, indent=1))
    return out


def fit(section: dict, search_jsons: list, level: float, n_boot: int, seed: int, fit_json, runs_csv) -> dict:
    """Collect every D's search, fit N_min ∝ D^b, write the per-run table and fit.json."""
    records = sorted((json.loads(Path(p).read_text()) for p in search_jsons), key=lambda r: r["patterns"])
    if not records:
        raise ValueError("capacity fit: no search results; set capacity.pattern_counts")
    conventions = {r["params_convention"] for r in records}
    if conventions != {section["params"]}:
        raise ValueError(f"capacity fit: search results count parameters as {sorted(conventions)} but "
                         f"capacity.params={section['params']!r}; rerun the searches (snakemake -R capacity_search)")
    rows = [dict(patterns=r["patterns"], order=i, **t) for r in records for i, t in enumerate(r["trials"])]
    runs = pd.DataFrame(rows)
    bits_per_pattern = pattern_spec(section).bits_per_pattern
    bracketed = [r for r in records if not r["censored"]]
    censored = [dict(patterns=r["patterns"], censored=r["censored"], params_lo=r["params_lo"],
                     params_hi=r["params_hi"]) for r in records if r["censored"]]
    for c in censored:
        log.warning("capacity: D=%d censored %s (lo %s, hi %s): left out of the fit", c["patterns"], c["censored"],
                    c["params_lo"], c["params_hi"])
    d = [r["patterns"] for r in bracketed]
    result = fit_exponent(d, [r["params_lo"] for r in bracketed], [r["params_hi"] for r in bracketed],
                          level=level, n_boot=n_boot, seed=seed)
    n_min = [math.sqrt(r["params_lo"] * r["params_hi"]) for r in bracketed]
    bpp = bits_per_parameter(d, n_min, bits_per_pattern)
    points = [dict(patterns=r["patterns"], min_params=n, params_lo=r["params_lo"], params_hi=r["params_hi"],
                   bits=r["bits"], bits_per_param=b)
              for r, n, b in zip(bracketed, n_min, bpp)]
    # Sensitivity to the counting convention: the same brackets recounted the other way. At laptop
    # scale the embeddings are a large share of the small rungs, so the two can differ a lot.
    other = next(c for c in PARAM_COUNTS if c != section["params"])
    spec = pattern_spec(section)

    def recount(shape):
        return PARAM_COUNTS[other](gpt_config(shape, spec))

    alt = fit_exponent(d, [recount(r["shape_lo"]) for r in bracketed], [recount(r["shape_hi"]) for r in bracketed],
                       level=level, n_boot=n_boot, seed=seed)
    # The upper half of the pattern counts, where fixed per-model overhead weighs least.
    upper = bracketed[len(bracketed) // 2:] if len(bracketed) >= 5 else []
    upper_fit = (fit_exponent([r["patterns"] for r in upper], [r["params_lo"] for r in upper],
                              [r["params_hi"] for r in upper], level=level, n_boot=n_boot, seed=seed)
                 if upper else None)
    diagnostics = dict(
        other_convention=dict(params_convention=other, **{k: alt[k] for k in ("exponent", "lo", "hi")}),
        upper_half=(dict(patterns_min=upper[0]["patterns"], n_points=len(upper),
                         **{k: upper_fit[k] for k in ("exponent", "lo", "hi")}) if upper else None))
    comparisons = compare_with_references(result)
    inside = [c["key"] for c in comparisons if c["inside_interval"]]
    out = dict(result, criterion=criterion_text(section), params_convention=section["params"],
               bits_per_pattern=bits_per_pattern, points=points, censored=censored,
               references=comparisons, references_inside_interval=inside,
               local_exponents=local_exponents(d, n_min), diagnostics=diagnostics,
               trainings=int(len(runs)), cpu_seconds=float(runs["cpu_seconds"].sum()))
    log.info("capacity fit: b = %.3f [%.3f, %.3f] (%g) on %d points; references inside: %s", result["exponent"],
             result["lo"], result["hi"], level, result["n_points"], inside or "none")
    tmp = Path(runs_csv).with_name(f".{Path(runs_csv).name}.tmp")
    Path(runs_csv).parent.mkdir(parents=True, exist_ok=True)
    runs.to_csv(tmp, index=False)
    os.replace(tmp, runs_csv)
    _write_atomic(fit_json, json.dumps(out, indent=1))
    return out


def figure(fit_json, figure_png) -> None:
    from scalinglab.capacity.figures import plot_n_vs_d
    try:
        from scalinglab.style import save
    except ImportError:  # pragma: no cover - before the rename pass
        from scalinglab.figures.style import save
    save(plot_n_vs_d(json.loads(Path(fit_json).read_text())), figure_png)


__all__ = ["REFERENCES", "criterion_text", "figure", "fit", "pattern_spec", "rungs_of", "search", "train_spec"]
