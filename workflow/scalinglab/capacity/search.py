"""The model ladder and the bisection for the smallest rung that memorises D patterns.

The ladder is a list of GPT shapes (n_layer, n_head, n_embd) ordered by parameter count. The
search assumes memorisation is monotone along the ladder (a rung that memorises D patterns
implies every larger rung does), so the smallest memorising rung is found by bisection in
about log2(len(ladder)) trainings instead of one per rung. The result is a bracket: the smallest
rung that memorised (``params_hi``) and the rung below it (``params_lo``, which failed or is
implied to fail); N_min lies in (params_lo, params_hi]. A D that even the largest rung cannot
memorise is censored above (no N_min), and one that the smallest rung already memorises is
censored below (N_min <= the smallest rung): both are reported and left out of the fit.
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
