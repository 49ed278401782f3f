"""Run every claim whose inputs the workflow configured; name the ones left out and why."""
from __future__ import annotations

from pathlib import Path

from . import claims
from .claims import Settings
from .table import Verdict

# input name (rule input key) -> what it is, for the "left out" messages
INPUTS = {
    "val": "results/data/val.json (corpus alpha)",
    "memory_summaries": "data-fraction runs (memory.experiment)",
    "memory_distances": "memory distance summaries",
    "qf_loss": "question-formation loss.csv",
    "qf_summary": "question-formation summary.json",
    "qf_data": "question-formation data.json",
    "qf_train": "question-formation train.txt",
    "kaplan_table": "fits/kaplan_runs.csv",
    "kaplan_irreducible": "fits/kaplan_runs_irreducible.csv",
    "isoflop": "fits/chinchilla_runs_isoflop.csv",
    "allocation": "fits/chinchilla_runs_allocation.csv",
    "chinchilla_irreducible": "fits/chinchilla_runs_irreducible.csv",
    "public": "fits/chinchilla_public_approach3.csv",
    "data_constrained": "fits/data_constrained_runs_fit.json",
    "quantization": "quantization/exponents.csv",
    "quantization_transitions": "quantization/subtask_transitions.csv",
    "extrapolation_runs": "predict/extrapolation_runs_summary.csv",
    "extrapolation_public": "predict/extrapolation_public_summary.csv",
    "capacity": "capacity/fit.json",
    "run_summaries": "every training run's summary.json",
}


def _paths(inputs: dict, key: str) -> list[str]:
    v = inputs.get(key) or []
    return [v] if isinstance(v, (str, Path)) else [str(p) for p in v]


def collect(inputs: dict, s: Settings, log=print) -> list[Verdict]:
    """inputs: {name in INPUTS: path or list of paths (empty = analysis not configured)}."""
    rows: list[Verdict] = []
    got = {k: _paths(inputs, k) for k in INPUTS}
    alpha = claims.corpus_alpha(got["val"][0]) if got["val"] else None

    def one(name, needs, fn):
        missing = [k for k in needs if not got[k]]
        if missing:
            log(f"left out {name}: not configured ({', '.join(INPUTS[k] for k in missing)})")
            return
        made = fn()
        if not made:
            log(f"left out {name}: its inputs hold nothing to judge")
        rows.extend(made)

    one("Niu overfitting", ["memory_summaries"],
        lambda: claims.memory_overfitting(got["memory_summaries"], s))
    one("Niu distances", ["memory_distances"], lambda: claims.memory_distances(got["memory_distances"], s))
    one("question formation", ["qf_loss", "qf_summary", "qf_data"],
        lambda: claims.question_formation(got["qf_loss"][0], got["qf_summary"][0], got["qf_data"][0], s,
                                          got["qf_train"][0] if got["qf_train"] else None))
    one("Kaplan exponents", ["kaplan_table"], lambda: claims.kaplan_exponents(got["kaplan_table"][0], alpha, s))
    one("Kaplan E", ["kaplan_irreducible"],
        lambda: claims.irreducible(got["kaplan_irreducible"][0], "kaplan", "fits_kaplan_fig1_power_laws", s))
    one("IsoFLOP bracketing", ["isoflop"], lambda: claims.isoflop_bracketed(got["isoflop"][0], s))
    one("Approaches 1-3", ["allocation"], lambda: claims.allocation_agreement(got["allocation"][0], alpha, s))
    one("Chinchilla E", ["chinchilla_irreducible"],
        lambda: claims.irreducible(got["chinchilla_irreducible"][0], "chinchilla",
                                   "fits_chinchilla_fig4_contours", s))
    one("public refit", ["public"], lambda: claims.public_refit(got["public"][0], s))
    one("repeated data (R_D*)", ["data_constrained"],
        lambda: claims.repeated_data_half_life(got["data_constrained"][0], s))
    one("quantization exponents", ["quantization"],
        lambda: claims.quantization_exponents(got["quantization"][0], s))
    one("quantization abruptness", ["quantization_transitions"],
        lambda: claims.quantization_abruptness(got["quantization_transitions"][0], s))
    for d in ("runs", "public"):
        one(f"extrapolation ({d})", [f"extrapolation_{d}"],
            lambda d=d: claims.extrapolation(got[f"extrapolation_{d}"][0], d, s))
    one("N = O(D^2)", ["capacity"], lambda: claims.capacity(got["capacity"][0], s))
    one("Kaplan frontier", ["kaplan_table"],
        lambda: claims.kaplan_frontier(got["kaplan_table"][0], alpha, s))
    one("runs above the floor", ["run_summaries", "val"],
        lambda: claims.runs_above_floor(got["run_summaries"], got["val"][0], s))
    ids = [r.claim_id for r in rows]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate claim ids {sorted(dup)}: every claim needs its own slug")
    return rows
