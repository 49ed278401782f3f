"""The model ladder and the bisection for the smallest rung that memorises D patterns.

The ladder is a list of GPT shapes (n_layer, n_head, n_embd) ordered by parameter count. The
search assumes memorisation is monotone along the ladder (a rung that memorises D patterns
implies every larger rung does), so the smallest memorising rung is found by bisection in
about log2(len(ladder)) trainings instead of one per rung. The result is a bracket: the smallest
rung that memorised (``params_hi``) and the rung below it (``params_lo``, which failed or is
implied to fail); N_min lies in (params_lo, params_hi]. A D that even the largest rung cannot
memorise is censored above (no N_min), and one that the smallest rung already memorises is
censored below (N_min <= the smallest rung): both are reported and left out of the fit.

A third censoring is the step budget's: the bracket's lower end is a failure of the rung below
N_min, and that failure says "too small to store D patterns" only if the run ended on a plateau
(the trainer's stall stop). A failing rung that ran to max_steps while still improving might have
memorised given more steps, so N_min may lie below the bracket: such a D is censored "steps"
(step-limited), reported and left out of the fit like the other two.
"""
from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger(__name__)


def ladder_rungs(shapes: list[dict], params_of: Callable[[dict], int]) -> list[dict]:
    """Rungs sorted by parameter count, each {name, n_layer, n_head, n_embd, params}; duplicates rejected."""
    if len(shapes) < 2:
        raise ValueError(f"capacity.ladder has {len(shapes)} rung(s); give at least 2 shapes")
    rungs = []
    for s in shapes:
        missing = {"n_layer", "n_head", "n_embd"} - set(s)
        if missing:
            raise ValueError(f"capacity.ladder entry {s!r} lacks {', '.join(sorted(missing))}")
        shape = {k: int(s[k]) for k in ("n_layer", "n_head", "n_embd")}
        rungs.append(dict(name=f"L{shape['n_layer']}xE{shape['n_embd']}", **shape, params=int(params_of(shape))))
    rungs.sort(key=lambda r: r["params"])
    for a, b in zip(rungs, rungs[1:]):
        if a["params"] == b["params"]:
            raise ValueError(f"capacity.ladder: {a['name']} and {b['name']} both have {a['params']} parameters; "
                             f"drop one (the ladder must be strictly increasing in size)")
    return rungs


CENSORED = {"below": "the smallest rung memorises (N_min below the ladder)",
            "above": "the largest rung fails (N_min above the ladder)",
            "steps": "the failing rung below the bracket was still improving at max_steps (step-limited)"}


def step_limited(result: dict) -> bool:
    """True when the bracket's failing rung (index - 1) ran out of steps without meeting the criterion
    and without stalling: its failure is the step budget's, not (shown to be) the capacity's."""
    i = result["index"]
    if i is None or i == 0:
        return False
    below = [t for t in result["trials"] if t["rung"] == i - 1]
    if not below:
        raise ValueError(f"capacity search: no trial of rung {i - 1} below the memorising rung {i}")
    t = below[-1]
    return not t["met"] and not t.get("stalled", False)


def classify(result: dict) -> dict:
    """The search result with ``censored`` set to 'steps' where the bracket is step-limited
    (ladder-end censoring, 'above' or 'below', takes precedence)."""
    if result["censored"] or not step_limited(result):
        return result
    return dict(result, censored="steps")


def smallest_memorising(rungs: list[dict], trial: Callable[[dict], dict]) -> dict:
    """Bisection for the smallest rung whose ``trial(rung)['met']`` is True.

    Returns {index (None if no rung memorises), params_lo, params_hi, censored ('above', 'below' or
    ''), trials: [trial records in the order run]}."""
    trials = []
    lo, hi = 0, len(rungs) - 1        # the answer, if any, is in [lo, hi]
    top_met = None
    while lo < hi:
        mid = (lo + hi) // 2
        record = dict(trial(rungs[mid]), rung=mid)
        trials.append(record)
        if record["met"]:
            hi = mid
        else:
            lo = mid + 1
    # lo == hi: the only candidate left; it is tested unless an earlier trial already passed it
    tested = {t["rung"]: t["met"] for t in trials}
    if lo not in tested:
        record = dict(trial(rungs[lo]), rung=lo)
        trials.append(record)
        tested[lo] = record["met"]
    top_met = tested[lo]
    if not top_met:
        return dict(index=None, params_lo=rungs[-1]["params"], params_hi=None, censored="above", trials=trials)
    if lo == 0:
        return dict(index=0, params_lo=None, params_hi=rungs[0]["params"], censored="below", trials=trials)
    return dict(index=lo, params_lo=rungs[lo - 1]["params"], params_hi=rungs[lo]["params"], censored="",
                trials=trials)
