"""The verdict rules: small pure functions from numbers to (verdict, detail, rule text).

Every rule can return each of the three verdicts; the tests feed each one inputs with known
answers for all three. Thresholds are arguments (config `verdicts:`), never constants here.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.stats import binomtest

from .table import NOT_IDENTIFIABLE, NOT_REPRODUCED, REPRODUCED


class Judgement(NamedTuple):
    verdict: str
    detail: str
    rule: str


def _finite(*xs) -> bool:
    return all(x is not None and math.isfinite(float(x)) for x in xs)


def interval_rule(value, lo, hi, reference, *, max_relative_width: float,
                  tolerance: float = 0.0) -> Judgement:
    """Interval against a reference value.

    Not identifiable when the interval is missing or wider than max_relative_width x |reference|
    (it would hold almost any value); otherwise reproduced when [lo - t, hi + t] holds the
    reference (t = tolerance x |reference|), not reproduced when it excludes it.
    """
    rule = (f"interval [lo, hi] holds the reference (+-{tolerance:g} x |reference|) -> reproduced; "
            f"excludes it -> not reproduced; missing or wider than {max_relative_width:g} x "
            f"|reference| -> not identifiable")
    if not _finite(reference):
        return Judgement(NOT_IDENTIFIABLE, "no reference value applies", rule)
    if not _finite(value, lo, hi):
        return Judgement(NOT_IDENTIFIABLE, f"value {value} with no finite interval [{lo}, {hi}]", rule)
    scale = abs(float(reference))
    width = hi - lo
    text = f"{value:.4g} [{lo:.4g}, {hi:.4g}] against {reference:.4g}"
    if width > max_relative_width * scale:
        return Judgement(NOT_IDENTIFIABLE, f"{text}: interval width {width:.3g} exceeds "
                         f"{max_relative_width:g} x {scale:.3g}", rule)
    slack = tolerance * scale
    if lo - slack <= reference <= hi + slack:
        return Judgement(REPRODUCED, f"{text}: interval holds the reference", rule)
    side = "below" if hi + slack < reference else "above"
    return Judgement(NOT_REPRODUCED, f"{text}: interval lies {side} the reference", rule)


def interval_at_least_rule(value, lo, hi, bound, *, tolerance: float = 0.0) -> Judgement:
    """A one-sided claim: the quantity lies at or above `bound` (an asymptote that must not fall
    below a floor). Reproduced when the whole interval lies at or above bound - tolerance, not
    reproduced when the whole interval lies below it, not identifiable when the interval straddles
    it or is missing (a wide interval cannot pass this rule)."""
    rule = (f"interval [lo, hi] at or above the bound (-{tolerance:g} nats) -> reproduced; wholly "
            f"below -> not reproduced; straddling it or missing -> not identifiable")
    if not _finite(bound):
        return Judgement(NOT_IDENTIFIABLE, "no bound applies", rule)
    if not _finite(value, lo, hi):
        return Judgement(NOT_IDENTIFIABLE, f"value {value} with no finite interval [{lo}, {hi}]", rule)
    text = f"{value:.4g} [{lo:.4g}, {hi:.4g}] against the bound {bound:.4g}"
    edge = float(bound) - tolerance
    if lo >= edge:
        return Judgement(REPRODUCED, f"{text}: interval at or above the bound", rule)
    if hi < edge:
        return Judgement(NOT_REPRODUCED, f"{text}: interval lies below the bound", rule)
    return Judgement(NOT_IDENTIFIABLE, f"{text}: interval straddles the bound", rule)


def intervals_agree(named: dict[str, tuple[float, float, float]], *, scale: float,
                    max_relative_width: float) -> Judgement:
    """Several estimates of one quantity {name: (value, lo, hi)} agree.

    Not identifiable when fewer than two have a finite interval, or any interval is wider than
    max_relative_width x |scale|; reproduced when all intervals share a common point (the largest
    lo <= the smallest hi); not reproduced otherwise (naming the most distant pair).
    """
    rule = (f"all intervals overlap -> reproduced; two disjoint -> not reproduced; fewer than two, "
            f"or one wider than {max_relative_width:g} x |reference| -> not identifiable")
    good = {k: v for k, v in named.items() if _finite(*v)}
    text = "; ".join(f"{k} {v:.3g} [{lo:.3g}, {hi:.3g}]" for k, (v, lo, hi) in named.items())
    if len(good) < 2:
        return Judgement(NOT_IDENTIFIABLE, f"{len(good)} estimate(s) with a finite interval: {text}", rule)
    wide = [k for k, (_, lo, hi) in good.items() if hi - lo > max_relative_width * abs(scale)]
    if wide or not _finite(scale):
        return Judgement(NOT_IDENTIFIABLE, f"{', '.join(wide)} wider than {max_relative_width:g} x "
                         f"{abs(scale):.3g}: {text}", rule)
    top_lo = max(good, key=lambda k: good[k][1])
    low_hi = min(good, key=lambda k: good[k][2])
    if good[top_lo][1] <= good[low_hi][2]:
        return Judgement(REPRODUCED, f"common overlap [{good[top_lo][1]:.3g}, {good[low_hi][2]:.3g}]: "
                         f"{text}", rule)
    return Judgement(NOT_REPRODUCED, f"{low_hi} and {top_lo} disjoint: {text}", rule)


def all_pass(flags: dict[str, bool], what: str) -> Judgement:
    """Every item passes a named check (e.g. every IsoFLOP minimum bracketed).

    Not identifiable with no items; reproduced when all pass; not reproduced otherwise.
    """
    rule = f"every {what} -> reproduced; any not -> not reproduced; none to check -> not identifiable"
    if not flags:
        return Judgement(NOT_IDENTIFIABLE, f"nothing to check ({what})", rule)
    failed = [k for k, ok in flags.items() if not ok]
    if not failed:
        return Judgement(REPRODUCED, f"{len(flags)} of {len(flags)} pass", rule)
    return Judgement(NOT_REPRODUCED, f"{len(failed)} of {len(flags)} fail: {', '.join(failed)}", rule)


def overfitting_rule(val_loss, train_loss, *, min_rise: float, min_evaluations: int,
                     expect_overfit: bool) -> Judgement:
    """Rising validation loss (overfitting) on one run's evaluation rows.

    rise = final validation loss - its minimum over the run; noise = the evaluation-to-evaluation
    scatter (robust sd from second differences, so a steady trend is not counted as noise). Overfitting: rise >= min_rise and the final
    train loss is below the final validation loss. Not identifiable with fewer than
    `min_evaluations` finite evaluations, or noise >= min_rise (a rise of that size could be
    noise). The claim is either "overfits" (expect_overfit) or "does not".
    """
    rule = (f"overfits when final val loss - min val loss >= {min_rise:g} nats and train < val; "
            f"not identifiable with < {min_evaluations} evaluations or evaluation noise >= {min_rise:g}")
    val = np.asarray(val_loss, dtype=float)
    train = np.asarray(train_loss, dtype=float)
    keep = np.isfinite(val)
    val, train = val[keep], train[keep]
    if val.size < min_evaluations:
        return Judgement(NOT_IDENTIFIABLE, f"{val.size} evaluation(s), need {min_evaluations}", rule)
    rise = float(val[-1] - val.min())
    # Evaluation noise, robust to the curve's trend: second differences of iid noise of sd s
    # have sd s*sqrt(6); their median absolute value is 0.674 of that.
    second = np.diff(val, 2)
    noise = float(np.median(np.abs(second)) / (0.674 * math.sqrt(6))) if second.size else math.inf
    gap = float(val[-1] - train[-1]) if np.isfinite(train[-1]) else math.nan
    text = (f"val min {val.min():.4g}, final {val[-1]:.4g} (rise {rise:.3g}), final train "
            f"{train[-1]:.4g} (gap {gap:.3g}), evaluation noise {noise:.3g}")
    if noise >= min_rise:
        return Judgement(NOT_IDENTIFIABLE, f"{text}: noise as large as the rise threshold", rule)
    overfits = rise >= min_rise and gap > 0
    verdict = REPRODUCED if overfits == expect_overfit else NOT_REPRODUCED
    return Judgement(verdict, f"{text}: {'overfits' if overfits else 'does not overfit'}", rule)


def running_mean(values, window: int) -> np.ndarray:
    c = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


class PlateauDrop(NamedTuple):
    start: int
    end: int
    level: float
    drop: float


def plateaus_and_drops(loss, *, window: int, flat_tolerance: float, min_plateau: int,
                       min_drop: float) -> list[PlateauDrop]:
    """Plateaus of a per-step loss curve each followed by a drop.

    The curve is smoothed by a trailing mean over `window` steps (y). A plateau is a maximal run
    of at least `min_plateau` steps over which y moves by less than `flat_tolerance` in every
    `window` steps; it is followed by a drop when y later falls at least `min_drop` below the
    plateau's level (its mean) before the next plateau starts.
    """
    y = running_mean(loss, window)[window:]  # the first window is the mean's warm-up
    if y.size <= window:
        return []
    flat = np.abs(y[window:] - y[:-window]) < flat_tolerance
    runs, start = [], None
    for i, f in enumerate(np.append(flat, False)):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i + window - start >= min_plateau:
                runs.append((start, i + window))
            start = None
    out = []
    for k, (a, b) in enumerate(runs):
        level = float(y[a:b].mean())
        nxt = runs[k + 1][0] if k + 1 < len(runs) else y.size
        after = y[b:max(nxt, b + 1)]
        drop = float(level - after.min()) if after.size else 0.0
        if drop >= min_drop:
            out.append(PlateauDrop(a + window, b + window, level, drop))
    return out


def plateau_drop_rule(loss, *, window: int, flat_tolerance: float, min_plateau: int,
                      min_drop: float) -> Judgement:
    """Niu et al. §6.3: the loss plateaus, then drops (at least once).

    Not identifiable when the curve is shorter than 3 x min_plateau steps or its step-to-step
    noise, averaged over the window (std / sqrt(window)), is at least flat_tolerance (plateaus
    cannot be told from noise); reproduced with at least one plateau followed by a drop of
    min_drop; not reproduced otherwise.
    """
    rule = (f"a plateau (>= {min_plateau} steps moving < {flat_tolerance:g} nats per {window} steps) "
            f"then a drop >= {min_drop:g} nats -> reproduced; none -> not reproduced; curve "
            f"< {3 * min_plateau} steps or smoothed noise >= {flat_tolerance:g} -> not identifiable")
    loss = np.asarray(loss, dtype=float)
    if loss.size < 3 * min_plateau or not np.isfinite(loss).all():
        return Judgement(NOT_IDENTIFIABLE, f"{loss.size} finite steps, need {3 * min_plateau}", rule)
    resid = loss - running_mean(loss, window)
    noise = float(np.std(resid[window:]) / math.sqrt(window))
    if noise >= flat_tolerance:
        return Judgement(NOT_IDENTIFIABLE, f"smoothed noise {noise:.3g} >= {flat_tolerance:g}", rule)
    events = plateaus_and_drops(loss, window=window, flat_tolerance=flat_tolerance,
                                min_plateau=min_plateau, min_drop=min_drop)
    if events:
        text = "; ".join(f"steps {e.start}-{e.end} at {e.level:.3g}, then -{e.drop:.3g}" for e in events)
        return Judgement(REPRODUCED, f"{len(events)} plateau(s) then drop: {text}", rule)
    return Judgement(NOT_REPRODUCED, f"no plateau followed by a drop >= {min_drop:g} "
                     f"(loss {loss[0]:.3g} -> {loss[-1]:.3g})", rule)


def near_rule(value, reference, *, tolerance: float, condition: tuple[bool, str] = (True, "")
              ) -> Judgement:
    """A value approaches a stated constant: |value - reference| <= tolerance -> reproduced.

    Not identifiable when the value or reference is missing, or the claim's stated condition does
    not hold (condition = (holds, why)); not reproduced when farther than tolerance.
    """
    rule = (f"|value - reference| <= {tolerance:g} -> reproduced; farther -> not reproduced; "
            f"missing, or the claim's condition fails -> not identifiable")
    holds, why = condition
    if not _finite(value, reference):
        return Judgement(NOT_IDENTIFIABLE, f"value {value} or reference {reference} unknown"
                         + (f" ({why})" if why else ""), rule)
    if not holds:
        return Judgement(NOT_IDENTIFIABLE, f"condition fails: {why}", rule)
    diff = float(value) - float(reference)
    text = f"{value:.4g} against {reference:.4g} (difference {diff:+.3g})" + (f"; {why}" if why else "")
    return Judgement(REPRODUCED if abs(diff) <= tolerance else NOT_REPRODUCED, text, rule)


def at_most_rule(value, limit: float, what: str) -> Judgement:
    """value <= limit -> reproduced; above -> not reproduced; missing -> not identifiable."""
    rule = f"{what} <= {limit:g} -> reproduced; above -> not reproduced; missing -> not identifiable"
    if not _finite(value):
        return Judgement(NOT_IDENTIFIABLE, f"{what} unknown", rule)
    verdict = REPRODUCED if value <= limit else NOT_REPRODUCED
    return Judgement(verdict, f"{what} {value:.4g} {'<=' if value <= limit else '>'} {limit:g}", rule)


def coverage_interval(covered: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Actual coverage k/n with its Clopper-Pearson interval (NaN when n = 0)."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    ci = binomtest(int(covered), int(n)).proportion_ci(confidence_level=level, method="exact")
    return covered / n, float(ci.low), float(ci.high)



def abruptness_rule(start_steps, durations, *, max_ratio: float, min_learned: int) -> Judgement:
    """Michaud et al. 2023: each quantum (subtask) is learned abruptly, after a plateau.

    For every learned subtask: `start_steps` = its last evaluation step at >= 90% of the chance
    loss before it first reaches <= 10% of it, `durations` = the steps between the two
    (`quantization.curves.learning_transitions`). ratio = duration / start_step, the drop against
    the plateau before it (infinite with no plateau: a drop from step 0). Not identifiable with
    fewer than `min_learned` learned subtasks; reproduced when the median ratio is at most
    `max_ratio`; not reproduced otherwise.
    """
    rule = (f"median over learned subtasks of (steps from 90% to 10% of chance loss) / (steps before "
            f"the drop) <= {max_ratio:g} -> reproduced; above -> not reproduced; fewer than "
            f"{min_learned} learned subtasks -> not identifiable")
    start = np.asarray(start_steps, dtype=float)
    duration = np.asarray(durations, dtype=float)
    if start.shape != duration.shape:
        raise ValueError(f"abruptness_rule: {start.size} start steps but {duration.size} durations")
    keep = np.isfinite(start) & np.isfinite(duration)
    start, duration = start[keep], duration[keep]
    if start.size < min_learned:
        return Judgement(NOT_IDENTIFIABLE, f"{start.size} learned subtask(s), need {min_learned}", rule)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(start > 0, duration / np.where(start > 0, start, 1.0), math.inf)
    median = float(np.median(ratio))
    text = (f"{start.size} learned subtasks, median drop/plateau {median:.3g} "
            f"(each: {', '.join(f'{r:.2g}' for r in ratio)}); median drop {np.median(duration):g} steps "
            f"after a median plateau of {np.median(start):g}")
    verdict = REPRODUCED if median <= max_ratio else NOT_REPRODUCED
    return Judgement(verdict, f"{text}: {'abrupt' if verdict == REPRODUCED else 'gradual'}", rule)
