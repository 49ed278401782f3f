"""One function per rule of workflow/rules/capacity.smk, named after the rule (scalinglab.adapter
calls it with the rule's named inputs, outputs and params): paths and config values in, files out.

- :func:`capacity_search`: one pattern count D: bisection over the ladder -> results/capacity/search/D<D>.json
- :func:`capacity_fit`: every D -> results/capacity/runs.csv (one row per training) and fit.json (the
  contract of notes/PREAMBLE.md: exponent, lo, hi, level, n_points, criterion, points)
- :func:`capacity_figure`: fit.json -> results/figures/capacity_n_vs_d.png
"""
from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pandas as pd

from scalinglab.capacity.fit import (REFERENCES, bits_per_parameter, compare_with_references, fit_exponent,
                                    local_exponents)
from scalinglab.capacity.memorise import TrainSpec, gpt_config
from scalinglab.capacity.patterns import PatternSpec, draw_patterns
from scalinglab.capacity.search import CENSORED, classify, ladder_rungs, smallest_memorising
from scalinglab.counting import params_non_embedding, params_total
from scalinglab.io import write_csv, write_json

log = logging.getLogger("scalinglab.capacity")

PARAM_COUNTS = {"params_total": params_total, "params_non_embedding": params_non_embedding}
MIN_FIT_POINTS = 3
FIT_RULE = ("a pattern count enters the fit only if its N_min is bracketed by two rungs and the failing rung "
            "ended on a plateau (stall stop); censored and left out: 'below' (the smallest rung memorises), "
            "'above' (the largest fails), 'steps' (the failing rung was still improving at max_steps); "
            f"fewer than {MIN_FIT_POINTS} points left: no exponent (not identifiable)")


def pattern_spec(p: dict) -> PatternSpec:
    return PatternSpec(key_len=p["key_len"], value_len=p["value_len"], vocab_size=p["vocab_size"],
                       min_key_distance=p["min_key_distance"])


def train_spec(t: dict, criterion_fraction: float) -> TrainSpec:
    return TrainSpec(max_steps=t["max_steps"], lr=t["lr"], batch_size=t["batch_size"], eval_every=t["eval_every"],
                     criterion_fraction=criterion_fraction, warmup_steps=t["warmup_steps"],
                     stall_evals=t["stall_evals"], stall_improvement=t["stall_improvement"],
                     lr_width=t.get("lr_width", 0))


def criterion_text(patterns: dict, train: dict, criterion_fraction: float) -> str:
    spec = pattern_spec(patterns)
    f = criterion_fraction
    return (f"mean value-token loss on all D patterns <= {f:g} x ln {spec.vocab_size} = "
            f"{f * spec.nats_per_value_token:.3f} nats within {train['max_steps']} steps "
            f"({spec.bits_per_pattern:g} bits per pattern)")


def rungs_of(ladder: list, patterns: dict, param_count: str) -> list[dict]:
    spec = pattern_spec(patterns)
    count = PARAM_COUNTS[param_count]
    return ladder_rungs(ladder, lambda shape: count(gpt_config(shape, spec)))


def capacity_search(*, search: str, n_patterns: int, patterns: dict, ladder: list, train: dict,
                    criterion_fraction: float, param_count: str, seed: int, device: str, threads: int = 1) -> dict:
    """Smallest ladder rung memorising the first ``n_patterns`` patterns; writes ``search`` and returns it.
    ``seed`` draws the patterns (the same for every D, so the sets are nested); models get seed + 1."""
    import torch

    from scalinglab.capacity.memorise import memorise

    torch.set_num_threads(int(threads))
    n_patterns = int(n_patterns)
    criterion = criterion_text(patterns, train, criterion_fraction)
    spec, schedule = pattern_spec(patterns), train_spec(train, criterion_fraction)
    rungs = rungs_of(ladder, patterns, param_count)
    data = draw_patterns(n_patterns, spec, seed=int(seed))
    log.info("capacity D=%d: %d rungs (%d..%d %s), criterion: %s", n_patterns, len(rungs), rungs[0]["params"],
             rungs[-1]["params"], param_count, criterion)

    def trial(rung):
        record = memorise(data, spec, rung, schedule, seed=int(seed) + 1, device=device)
        # the ladder's count convention, beside the total the trainer reports
        return dict(record, name=rung["name"], params=rung["params"], params_total=record["params"])

    result = classify(smallest_memorising(rungs, trial))
    i = result["index"]

    def shape(k):
        return {key: rungs[k][key] for key in ("n_layer", "n_head", "n_embd")}

    out = dict(patterns=int(n_patterns), bits=n_patterns * spec.bits_per_pattern,
               params_convention=param_count, criterion=criterion,
               # the bracket's shapes, so the fit can recount them under the other convention
               shape_lo=shape(len(rungs) - 1 if i is None else i - 1) if i != 0 else None,
               shape_hi=shape(i) if i is not None else None, **result)
    log.info("capacity D=%d: N_min in (%s, %s] %s after %d trainings, %.1f CPU-s", n_patterns, result["params_lo"],
             result["params_hi"], f"(censored {result['censored']})" if result["censored"] else "",
             len(result["trials"]), sum(t["cpu_seconds"] for t in result["trials"]))
    write_json(out, search)
    return out


def capacity_fit(*, searches: list, fit: str, runs: str, patterns: dict, train: dict, criterion_fraction: float,
                 param_count: str, level: float, bootstrap_samples: int, seed: int, caption_fit=None) -> dict:
    """Collect every D's search, fit N_min ∝ D^b, write the per-run table ``runs`` and ``fit`` (fit.json).
    ``caption_fit`` is fit.json as the caption reads it (a rule param for the report only)."""
    records = sorted((json.loads(Path(p).read_text()) for p in searches), key=lambda r: r["patterns"])
    if not records:
        raise ValueError("capacity fit: no search results; set capacity.pattern_counts")
    conventions = {r["params_convention"] for r in records}
    if conventions != {param_count}:
        raise ValueError(f"capacity fit: search results count parameters as {sorted(conventions)} but "
                         f"capacity.params={param_count!r}; rerun the searches (snakemake -R capacity_search)")
    rows = [dict(patterns=r["patterns"], order=i, **t) for r in records for i, t in enumerate(r["trials"])]
    table = pd.DataFrame(rows)
    bits_per_pattern = pattern_spec(patterns).bits_per_pattern
    # Which points enter the fit (scalinglab.capacity.search.CENSORED): only brackets that are
    # capacity-limited at both ends: not at the ladder's floor or ceiling, and not step-limited.
    bracketed = [r for r in records if not r["censored"]]
    censored = [dict(patterns=r["patterns"], censored=r["censored"], reason=CENSORED[r["censored"]],
                     params_lo=r["params_lo"], params_hi=r["params_hi"]) for r in records if r["censored"]]
    for c in censored:
        log.warning("capacity: D=%d censored %s (lo %s, hi %s): %s; left out of the fit", c["patterns"],
                    c["censored"], c["params_lo"], c["params_hi"], c["reason"])
    d = [r["patterns"] for r in bracketed]
    n_min = [math.sqrt(r["params_lo"] * r["params_hi"]) for r in bracketed]
    bpp = bits_per_parameter(d, n_min, bits_per_pattern)
    points = [dict(patterns=r["patterns"], min_params=n, params_lo=r["params_lo"], params_hi=r["params_hi"],
                   bits=r["bits"], bits_per_param=b)
              for r, n, b in zip(bracketed, n_min, bpp)]
    common = dict(criterion=criterion_text(patterns, train, criterion_fraction), params_convention=param_count,
                  bits_per_pattern=bits_per_pattern, points=points, censored=censored,
                  fit_rule=FIT_RULE, trainings=int(len(table)), cpu_seconds=float(table["cpu_seconds"].sum()))
    if len(set(d)) < MIN_FIT_POINTS:
        # Too few capacity-limited points for an exponent: say so (the verdicts read "not
        # identifiable") rather than fit censored ones.
        nan = float("nan")
        reason = (f"{len(set(d))} capacity-limited pattern count(s) of {len(records)} (need {MIN_FIT_POINTS}); "
                  f"widen capacity.ladder, raise capacity.train.max_steps or change capacity.pattern_counts")
        log.warning("capacity fit: no exponent: %s", reason)
        out = dict(exponent=nan, lo=nan, hi=nan, level=float(level), intercept=nan, n_points=len(d),
                   bootstrap_samples=int(bootstrap_samples), not_identifiable=reason,
                   references=[dict(ref, inside_interval=False, distance_in_half_widths=nan) for ref in REFERENCES],
                   references_inside_interval=[], local_exponents=local_exponents(d, n_min),
                   diagnostics=dict(other_convention=None, upper_half=None, with_step_limited=None), **common)
        write_csv(table, runs)
        write_json(out, fit)
        return out
    result = fit_exponent(d, [r["params_lo"] for r in bracketed], [r["params_hi"] for r in bracketed],
                          level=level, n_boot=bootstrap_samples, seed=seed)
    # Sensitivity to the counting convention: the same brackets recounted the other way. At laptop
    # scale the embeddings are a large share of the small rungs, so the two can differ a lot.
    other = next(c for c in PARAM_COUNTS if c != param_count)
    spec = pattern_spec(patterns)

    def recount(shape):
        return PARAM_COUNTS[other](gpt_config(shape, spec))

    alt = fit_exponent(d, [recount(r["shape_lo"]) for r in bracketed], [recount(r["shape_hi"]) for r in bracketed],
                       level=level, n_boot=bootstrap_samples, seed=seed)
    # The upper half of the pattern counts, where fixed per-model overhead weighs least.
    upper = bracketed[len(bracketed) // 2:] if len(bracketed) >= 5 else []
    upper_fit = (fit_exponent([r["patterns"] for r in upper], [r["params_lo"] for r in upper],
                              [r["params_hi"] for r in upper], level=level, n_boot=bootstrap_samples, seed=seed)
                 if upper else None)
    # What the step rule changes: the fit with the step-limited brackets put back (never a verdict).
    with_steps = sorted(bracketed + [r for r in records if r["censored"] == "steps"], key=lambda r: r["patterns"])
    steps_fit = (fit_exponent([r["patterns"] for r in with_steps], [r["params_lo"] for r in with_steps],
                              [r["params_hi"] for r in with_steps], level=level, n_boot=bootstrap_samples, seed=seed)
                 if len(with_steps) > len(bracketed) else None)
    diagnostics = dict(
        other_convention=dict(params_convention=other, **{k: alt[k] for k in ("exponent", "lo", "hi")}),
        upper_half=(dict(patterns_min=upper[0]["patterns"], n_points=len(upper),
                         **{k: upper_fit[k] for k in ("exponent", "lo", "hi")}) if upper else None),
        with_step_limited=(dict(n_points=len(with_steps), **{k: steps_fit[k] for k in ("exponent", "lo", "hi")})
                           if steps_fit else None))
    comparisons = compare_with_references(result)
    inside = [c["key"] for c in comparisons if c["inside_interval"]]
    out = dict(result, references=comparisons, references_inside_interval=inside,
               local_exponents=local_exponents(d, n_min), diagnostics=diagnostics, **common)
    log.info("capacity fit: b = %.3f [%.3f, %.3f] (%g) on %d points; references inside: %s", result["exponent"],
             result["lo"], result["hi"], level, result["n_points"], inside or "none")
    write_csv(table, runs)
    write_json(out, fit)
    return out


def capacity_figure(*, fit: str, figure: str, caption_fit=None) -> None:
    """N_min against D with the fit and reference slopes; bits per parameter. ``caption_fit``: see capacity_fit."""
    from scalinglab.capacity.figures import plot_n_vs_d
    from scalinglab.style import save

    save(plot_n_vs_d(json.loads(Path(fit).read_text())), figure)
    log.info("wrote %s and its .pdf", figure)


__all__ = ["REFERENCES", "capacity_figure", "capacity_fit", "capacity_search", "criterion_text", "pattern_spec",
           "rungs_of", "train_spec"]
