"""Extrapolation that is checked, not assumed: fit a law on the small runs, predict the large ones.

GPT-4's report and Baichuan 2 predicted large runs' final losses from small ones; here the same
prediction is made on points whose losses are known, so its error can be read off:

1. split the points: hold out the largest by compute (C = 6 N D) or by model size N, either
   the `n_largest` largest distinct values (a whole IsoFLOP budget, a whole model size) or every
   point at or above a threshold (the public Chinchilla points);
2. fit each law on the rest: Chinchilla's L = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022,
   Approach 3, Huber on log L) and Kaplan's L(N, D) (Kaplan et al. 2020, Eq. 1.5);
3. predict every point, with a bootstrap band: refit on resampled fit points, take percentiles
   of the replicates' predictions (Besiroglu et al. 2024's bootstrap, applied to predictions).
   That band is the law's uncertainty only; single runs scatter around the law too, so a
   prediction interval adds a resampled fit residual (in log L) to each replicate;
4. report the held-out error; reference laws (published constants) predict without a fit.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ..fits.checks import FitInputError, positive_arrays
from ..intervals import central_band
from ..fits.chinchilla import (FLOPS_PER_PARAM_TOKEN, bootstrap_chinchilla_approach3,
                               chinchilla_loss, fit_chinchilla_approach3, initial_grid)
from ..fits.kaplan import KaplanJointLaw, fit_kaplan_joint, kaplan_joint_loss
from ..fits.published import ChinchillaLaw
from .budget import PlanError

HOLDOUT_BY = ("compute", "params")
log = logging.getLogger(__name__)


def holdout_mask(N, D, *, by: str = "compute", n_largest: int | None = 1,
                 threshold: float | None = None, compute=None) -> np.ndarray:
    """True for the held-out points: the largest by compute or by model size.

    `n_largest`: hold out the points at the n largest distinct values (values within 1% count as
    one, so an IsoFLOP budget's runs go together). `threshold`: hold out every point at or above
    it instead. `compute`: each point's nominal budget (an IsoFLOP run's `budget`), used instead
    of 6ND, which rounding of steps to whole batches moves by up to ~30% on tiny runs.
    """
    N = np.asarray(N, dtype=float)
    D = np.asarray(D, dtype=float)
    if by not in HOLDOUT_BY:
        raise PlanError(f"holdout_by must be one of {', '.join(HOLDOUT_BY)}, got {by!r}")
    if by == "params":
        x = N
    elif compute is not None:
        x = np.asarray(compute, dtype=float)
    else:
        x = FLOPS_PER_PARAM_TOKEN * N * D
    if threshold is not None:
        return x >= threshold
    if n_largest is None or n_largest < 1:
        raise PlanError(f"hold out at least one value (n_largest >= 1), got {n_largest}")
    levels = []  # distinct values, largest first, merging those within 1%
    for v in np.sort(x)[::-1]:
        if not levels or v < levels[-1] * 0.99:
            levels.append(v)
    if len(levels) <= n_largest:
        raise PlanError(f"only {len(levels)} distinct {by} value(s): cannot hold out the "
                        f"{n_largest} largest and still fit on the rest; add smaller runs")
    return x >= levels[n_largest - 1] * 0.99


@dataclass(frozen=True)
class LawForm:
    """How to fit a law, predict with it, and bootstrap its predictions."""

    name: str
    n_params: int
    fit: Callable          # (N, D, L) -> law
    predict: Callable      # (law, N, D) -> L
    bootstrap: Callable    # (N, D, L, law, N_new, D_new, n_boot, seed) -> (n_boot, n_new)


def _starts(n_starts: int | None, seed: int) -> np.ndarray | None:
    """The full 4,500-point grid (None), or a seeded subset of it for quick runs."""
    if not n_starts:
        return None
    grid = initial_grid()
    if n_starts >= len(grid):
        return None
    return grid[np.random.default_rng(seed).choice(len(grid), n_starts, replace=False)]


def chinchilla_form(n_starts: int | None = None, seed: int = 0,
                    extra_starts: int = 16) -> LawForm:
    def fit(N, D, L):
        return fit_chinchilla_approach3(N, D, L, starts=_starts(n_starts, seed),
                                        source="Approach 3 fit on the fit split")

    def boot(N, D, L, law, N_new, D_new, n_boot, seed_):
        b = bootstrap_chinchilla_approach3(N, D, L, n_boot=n_boot, seed=seed_, fit=law,
                                           extra_starts=extra_starts)
        s = b.samples
        return (s["E"][:, None] + s["A"][:, None] / N_new[None] ** s["alpha"][:, None]
                + s["B"][:, None] / D_new[None] ** s["beta"][:, None])

    return LawForm("Chinchilla form (Approach 3)", 5, fit,
                   lambda law, N, D: chinchilla_loss(N, D, law), boot)


def _refit_kaplan_from(law: KaplanJointLaw, N, D, L) -> KaplanJointLaw:
    """Eq. 1.5 refit from `law` alone (a bootstrap resample moves the optimum little, and the
    default 18-start search per replicate costs ~20x more)."""
    return fit_kaplan_joint(N, D, L, starts=[[math.log(law.N_c), math.log(law.D_c), law.alpha_N,
                                              law.alpha_D]])


def kaplan_form() -> LawForm:
    def boot(N, D, L, law, N_new, D_new, n_boot, seed_):
        rng = np.random.default_rng(seed_)
        out = np.full((n_boot, N_new.size), np.nan)
        for i in range(n_boot):
            idx = rng.integers(0, N.size, N.size)
            out[i] = kaplan_joint_loss(N_new, D_new, _refit_kaplan_from(law, N[idx], D[idx],
                                                                        L[idx]))
        return out

    return LawForm("Kaplan form (Eq. 1.5)", 4, fit_kaplan_joint,
                   lambda law, N, D: kaplan_joint_loss(N, D, law), boot)


def check_extrapolation(N, D, L, held_out, forms: list[LawForm], *,
                        references: dict[str, ChinchillaLaw] | None = None,
                        n_boot: int = 100, level: float = 0.9, seed: int = 0,
                        dataset: str = "", ids=None) -> tuple[pd.DataFrame, dict]:
    """Fit every form on the points not held out; predict all points with a bootstrap band.

    Returns (one row per law x point, {law name: fitted law}). Columns: dataset, law, kind
    ('fit on split' | 'published'), point, N, D, C, split ('fit' | 'held out'), measured,
    predicted, lo, hi (bootstrap band of the law), pi_lo, pi_hi (prediction interval: band plus the
    fit's residual scatter), rel_error = predicted / measured - 1.
    """
    N, D, L = positive_arrays(1, f"extrapolation check {dataset}".strip(), N=N, D=D, L=L)
    held_out = np.asarray(held_out, dtype=bool)
    if held_out.shape != N.shape:
        raise PlanError(f"held-out mask has {held_out.size} entries for {N.size} points")
    if not held_out.any():
        raise PlanError(f"{dataset}: no point is held out; lower the threshold or hold out the "
                        f"largest runs")
    fit_idx = ~held_out
    ids = np.arange(N.size).astype(str) if ids is None else np.asarray(ids).astype(str)
    frames, fitted = [], {}

    nan = np.full(N.size, np.nan)

    def rows(name, kind, pred, lo=nan, hi=nan, pi_lo=nan, pi_hi=nan):
        return pd.DataFrame(dict(dataset=dataset, law=name, kind=kind, point=ids, N=N, D=D,
                                 C=FLOPS_PER_PARAM_TOKEN * N * D,
                                 split=np.where(held_out, "held out", "fit"), measured=L,
                                 predicted=pred, lo=lo, hi=hi, pi_lo=pi_lo, pi_hi=pi_hi,
                                 rel_error=pred / L - 1))

    for form in forms:
        if fit_idx.sum() <= form.n_params:
            raise PlanError(f"{dataset}: {int(fit_idx.sum())} point(s) left to fit "
                            f"{form.name} ({form.n_params} parameters); hold out fewer runs")
        Nf, Df, Lf = N[fit_idx], D[fit_idx], L[fit_idx]
        law = form.fit(Nf, Df, Lf)
        fitted[form.name] = law
        pred = np.asarray(form.predict(law, N, D), dtype=float)
        reps = None
        if n_boot > 0:
            try:
                reps = form.bootstrap(Nf, Df, Lf, law, N, D, n_boot, seed)
            except FitInputError as err:
                # A law whose fit is degenerate (e.g. alpha < 0 on a handful of runs) has no
                # allocation for the bootstrap to summarise: keep the prediction, drop the band.
                log.warning("%s %s: no bootstrap band (%s)", dataset, form.name, err)
        if reps is not None:
            lo, hi = central_band(reps, level)
            resid = np.log(Lf) - np.log(pred[fit_idx])
            noise = np.random.default_rng(seed + 1).choice(resid, size=reps.shape)
            pi_lo, pi_hi = central_band(reps * np.exp(noise), level)
            frames.append(rows(form.name, "fit on split", pred, lo, hi, pi_lo, pi_hi))
        else:
            frames.append(rows(form.name, "fit on split", pred))
    for name, law in (references or {}).items():
        frames.append(rows(name, "published", chinchilla_loss(N, D, law)))
    return pd.concat(frames, ignore_index=True), fitted


def summarise(predictions: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and law: held-out error (mean, max |rel. error|), band coverage, fit error."""
    out = []
    for (dataset, law, kind), g in predictions.groupby(["dataset", "law", "kind"], sort=False):
        h, f = g[g.split == "held out"], g[g.split == "fit"]
        def coverage(lo, hi):
            return float(((h.measured >= lo) & (h.measured <= hi)).mean()) \
                if lo.notna().any() else math.nan

        out.append(dict(dataset=dataset, law=law, kind=kind, n_fit=len(f), n_held_out=len(h),
                        held_out_mean_abs_rel_error=float(h.rel_error.abs().mean()),
                        held_out_max_abs_rel_error=float(h.rel_error.abs().max()),
                        held_out_mean_error_nats=float((h.predicted - h.measured).mean()),
                        held_out_band_coverage=coverage(h.lo, h.hi),
                        held_out_interval_coverage=coverage(h.pi_lo, h.pi_hi),
                        fit_mean_abs_rel_error=float(f.rel_error.abs().mean())
                        if len(f) else math.nan))
    return pd.DataFrame(out)
