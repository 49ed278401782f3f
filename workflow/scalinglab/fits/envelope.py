"""Hoffmann et al. 2022 Approach 1 (Sec. 3.1): the lowest loss across runs at each FLOP count.

The same envelope gives Kaplan et al. 2020's compute-efficient frontier (Sec. 6.1): which model
size reaches the lowest loss at each compute.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..intervals import central_interval
from .checks import FitInputError, positive_arrays
from .kaplan import ProportionalLaw, fit_proportional


@dataclass(frozen=True)
class LearningCurve:
    """One run's curve: its parameter count and (FLOPs, tokens, loss) at each evaluation."""

    run: str
    N: float
    flops: np.ndarray
    tokens: np.ndarray
    loss: np.ndarray


@dataclass
class Envelope:
    """For each FLOP value C: the lowest loss across runs, and the N and D that reached it."""

    C: np.ndarray
    loss: np.ndarray
    N_opt: np.ndarray
    D_opt: np.ndarray
    run: list[str] = field(default_factory=list)


@dataclass
class Approach1Fit:
    envelope: Envelope
    N_law: ProportionalLaw  # N_opt = k C^a
    D_law: ProportionalLaw  # D_opt = k C^b
    samples: dict[str, np.ndarray] = field(default_factory=dict)  # bootstrap a, b
    level: float = 0.8

    def interval(self, name: str) -> tuple[float, float]:
        return central_interval(self.samples[name], self.level)


def _log_interp(x_new, x, y):
    """log-log interpolation of y(x), NaN outside [x.min(), x.max()]."""
    out = np.exp(np.interp(np.log(x_new), np.log(x), np.log(y)))
    out[(x_new < x[0]) | (x_new > x[-1])] = np.nan
    return out


def loss_envelope(curves: list[LearningCurve], n_grid: int = 1500, min_runs: int = 2) -> Envelope:
    """Lowest interpolated loss across runs at `n_grid` log-spaced FLOP values.

    Only FLOP values that at least `min_runs` curves reach are kept: where one run is alone the
    "lowest loss" is no comparison. In the demo, whose runs are short, a lone run's early or
    mid-schedule losses made the envelope jump up after a smaller run ended (and at the very end
    pulled N_opt to the longest run's size); with curves that overlap, as in Hoffmann et al. and
    Kaplan et al., nothing is dropped.
    """
    if len(curves) < 2:
        raise FitInputError(f"Approach 1 needs learning curves from at least 2 runs, got "
                            f"{len(curves)}")
    cleaned = []
    for c in curves:
        flops, tokens, loss = positive_arrays(0, f"learning curve of {c.run}", flops=c.flops,
                                              tokens=c.tokens, loss=c.loss)
        order = np.argsort(flops)
        cleaned.append((c, flops[order], tokens[order], loss[order]))
    lo = min(f[0] for _, f, _, _ in cleaned)
    hi = max(f[-1] for _, f, _, _ in cleaned)
    C = np.clip(np.logspace(np.log10(lo), np.log10(hi), n_grid), lo, hi)  # ends exact, not 1 ulp out
    losses = np.vstack([_log_interp(C, f, l) for _, f, _, l in cleaned])
    tokens = np.vstack([_log_interp(C, f, t) for _, f, t, _ in cleaned])
    covered = np.isfinite(losses).sum(axis=0) >= min(min_runs, len(cleaned))
    if not covered.any():
        raise FitInputError(f"Approach 1: no FLOP value is reached by {min_runs} runs; the "
                            f"learning curves do not overlap in compute")
    C, losses, tokens = C[covered], losses[:, covered], tokens[:, covered]
    best = np.nanargmin(losses, axis=0)
    cols = np.arange(C.size)
    Ns = np.array([c.N for c, *_ in cleaned])
    return Envelope(C=C, loss=losses[best, cols], N_opt=Ns[best], D_opt=tokens[best, cols],
                    run=[cleaned[i][0].run for i in best])


def fit_chinchilla_approach1(curves: list[LearningCurve], *, n_grid: int = 1500,
                             n_boot: int = 200, seed: int = 0, level: float = 0.8
                             ) -> Approach1Fit:
    """N_opt ∝ C^a and D_opt ∝ C^b through the envelope; intervals by resampling runs."""
    env = loss_envelope(curves, n_grid)
    if np.unique(env.N_opt).size < 2:
        raise FitInputError(f"Approach 1: one model ({env.run[0]}) is best at every compute; "
                            f"add smaller and larger models so the envelope changes hands")
    N_law = fit_proportional(env.C, env.N_opt, "Approach 1 N_opt = k C^a")
    D_law = fit_proportional(env.C, env.D_opt, "Approach 1 D_opt = k C^b")
    rng = np.random.default_rng(seed)
    a_s, b_s = [], []
    for _ in range(n_boot):
        pick = [curves[i] for i in rng.integers(0, len(curves), len(curves))]
        try:
            e = loss_envelope(pick, n_grid // 5)
            if np.unique(e.N_opt).size < 2:
                continue
            a_s.append(fit_proportional(e.C, e.N_opt).exponent)
            b_s.append(fit_proportional(e.C, e.D_opt).exponent)
        except FitInputError:
            continue
    return Approach1Fit(envelope=env, N_law=N_law, D_law=D_law,
                        samples={"a": np.array(a_s), "b": np.array(b_s)}, level=level)
