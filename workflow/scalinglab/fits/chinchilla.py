"""Hoffmann et al. 2022 (Chinchilla): the parametric law, its compute-optimal allocation, and
Approach 3's fit with Besiroglu et al. 2024's bootstrap.

Stable API (imported by the planner):
    chinchilla_loss(N, D, law)                -> L
    allocation_exponents(law)                 -> (a, b) with N_opt ∝ C^a, D_opt ∝ C^b
    compute_optimal_allocation(C, law)        -> (N_opt, D_opt)
    tokens_per_parameter(C, law)              -> D_opt / N_opt
    fit_chinchilla_approach3(N, D, L, ...)    -> ChinchillaFit (a published.ChinchillaLaw)
    bootstrap_chinchilla_approach3(N, D, L, ...) -> ChinchillaBootstrap

Units: N parameters, D tokens, C FLOPs with C = 6 N D, L nats per token.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from ..intervals import central_interval
from .checks import FitInputError, positive_arrays
from .lbfgs import minimize_lbfgs_batched
from .published import ChinchillaLaw

FLOPS_PER_PARAM_TOKEN = 6.0  # C = 6 N D (Kaplan et al. 2020, Sec. 2.1; Hoffmann et al. 2022)

# Hoffmann et al. 2022, Sec. D.2: the initialisation grid of Approach 3 (4,500 starts).
GRID_ALPHA = tuple(np.arange(0.0, 2.0 + 1e-9, 0.5))
GRID_BETA = GRID_ALPHA
GRID_E = tuple(np.arange(-1.0, 1.0 + 1e-9, 0.5))
GRID_A = tuple(np.arange(0.0, 25.0 + 1e-9, 5.0))
GRID_B = GRID_A


@dataclass(frozen=True)
class ChinchillaFit(ChinchillaLaw):
    """A fitted Chinchilla law: usable wherever a ChinchillaLaw is, plus how the fit went."""

    objective: float = math.nan  # summed Huber loss at the optimum
    n_points: int = 0
    n_starts: int = 0
    huber_delta: float = 1e-3


# ---------------------------------------------------------------- the law and its allocation

def chinchilla_loss(N, D, law: ChinchillaLaw):
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, Eq. 2)."""
    N = np.asarray(N, dtype=float)
    D = np.asarray(D, dtype=float)
    return law.E + law.A / N ** law.alpha + law.B / D ** law.beta


def allocation_exponents(law: ChinchillaLaw) -> tuple[float, float]:
    """(a, b) = (beta / (alpha + beta), alpha / (alpha + beta)) (Hoffmann et al. 2022, Eq. 4)."""
    s = law.alpha + law.beta
    if not s > 0:
        raise FitInputError(f"allocation needs alpha + beta > 0, got {law.alpha:g} + {law.beta:g}")
    return law.beta / s, law.alpha / s


def allocation_coefficient(law: ChinchillaLaw) -> float:
    """G = (alpha A / (beta B))^(1 / (alpha + beta)) (Hoffmann et al. 2022, Eq. 4)."""
    if not (law.alpha > 0 and law.beta > 0 and law.A > 0 and law.B > 0):
        raise FitInputError(f"allocation needs A, B, alpha, beta > 0, got A={law.A:g} "
                            f"B={law.B:g} alpha={law.alpha:g} beta={law.beta:g}")
    return (law.alpha * law.A / (law.beta * law.B)) ** (1.0 / (law.alpha + law.beta))


def compute_optimal_allocation(C, law: ChinchillaLaw):
    """(N_opt, D_opt) minimising L under C = 6 N D: N_opt = G (C/6)^a, D_opt = G^-1 (C/6)^b."""
    C = np.asarray(C, dtype=float)
    if np.any(~np.isfinite(C)) or np.any(C <= 0):
        raise FitInputError(f"compute must be finite and > 0 FLOPs, got {C}")
    G = allocation_coefficient(law)
    a, b = allocation_exponents(law)
    x = C / FLOPS_PER_PARAM_TOKEN
    return G * x ** a, x ** b / G


def tokens_per_parameter(C, law: ChinchillaLaw):
    """D_opt / N_opt at compute C (about 20 for Hoffmann's Approaches 1-2 near 1e24 FLOPs)."""
    N_opt, D_opt = compute_optimal_allocation(C, law)
    return D_opt / N_opt


# ---------------------------------------------------------------- Approach 3

def initial_grid() -> np.ndarray:
    """The 4,500 starts (a, b, e, alpha, beta) of Hoffmann et al. 2022, Sec. D.2."""
    return np.array(list(itertools.product(GRID_A, GRID_B, GRID_E, GRID_ALPHA, GRID_BETA)))


def huber_objective(theta: np.ndarray, log_N: np.ndarray, log_D: np.ndarray,
                    log_L: np.ndarray, delta: float, weights: np.ndarray | None = None):
    """Summed Huber loss of LSE(a - alpha log N, b - beta log D, e) - log L, and its gradient.

    theta: (S, 5) rows (a, b, e, alpha, beta). Returns (S,) objective values and (S, 5) gradients.
    `weights` (per point, e.g. bootstrap counts) multiply each point's term.
    """
    a, b, e, alpha, beta = (theta[:, i:i + 1] for i in range(5))
    # exp without the max shift: the exponents are clipped far from over/underflow instead, which
    # keeps exp(e) a per-start scalar (this objective is the hot loop of the 4,500-start grid).
    w1 = np.exp(np.clip(a - alpha * log_N, -300.0, 300.0))
    w2 = np.exp(np.clip(b - beta * log_D, -300.0, 300.0))
    w3 = np.exp(np.clip(e, -300.0, 300.0))
    z = w1 + w2 + w3
    r = np.log(z) - log_L
    c = np.clip(r, -delta, delta)
    h = c * (r - 0.5 * c)  # Huber: r^2/2 inside [-delta, delta], delta (|r| - delta/2) outside
    dh = c / z  # dHuber/dr times the softmax normaliser
    if weights is not None:
        h = h * weights
        dh = dh * weights
    g1, g2 = dh * w1, dh * w2
    grad = np.stack([g1.sum(1), g2.sum(1), dh.sum(1) * w3[:, 0],
                     -(g1 @ log_N.T)[:, 0], -(g2 @ log_D.T)[:, 0]], axis=1)
    return h.sum(1), grad


def _exp(x: float) -> float:
    # A run-away start (a flat direction in a tiny data set) can push a or b past log(max float);
    # that is an infinite coefficient, not a crash.
    return math.exp(x) if x < 709.0 else math.inf


def law_from_theta(theta, source: str = "", **extra) -> ChinchillaFit:
    a, b, e, alpha, beta = (float(v) for v in theta)
    return ChinchillaFit(E=_exp(e), A=_exp(a), B=_exp(b), alpha=alpha, beta=beta,
                         source=source, **extra)


def theta_from_law(law: ChinchillaLaw) -> np.ndarray:
    return np.array([math.log(law.A), math.log(law.B), math.log(law.E), law.alpha, law.beta])


def _minimise_from(starts, log_N, log_D, log_L, delta, weights=None, **opts):
    def fun(th, rows):
        return huber_objective(th, log_N, log_D, log_L, delta,
                               None if weights is None else weights[rows])

    res = minimize_lbfgs_batched(fun, starts, **opts)
    best = int(np.nanargmin(res.fun))
    return res.x[best], float(res.fun[best]), res


def fit_chinchilla_approach3(N, D, L, *, delta: float = 1e-3, starts: np.ndarray | None = None,
                             source: str = "Approach 3 fit", max_iter: int = 500,
                             polish: int = 20) -> ChinchillaFit:
    """Fit L = E + A/N^alpha + B/D^beta as Hoffmann et al. 2022 Approach 3 (Sec. 3.3, D.2).

    Minimises sum_i Huber_delta(LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i) with
    E = exp(e), A = exp(a), B = exp(b), by L-BFGS from every row of `starts` (default: the
    4,500-point grid) and returns the best optimum. Two phases: every start runs to scipy
    L-BFGS-B's default tolerance (ftol 2.2e-9), then the `polish` best run on to ftol 1e-12
    (the valley along (B, beta) is flat, so the last digits need the tighter stop).
    """
    N, D, L = positive_arrays(5, "Chinchilla Approach 3", N=N, D=D, L=L)
    grid = initial_grid() if starts is None else np.atleast_2d(np.asarray(starts, dtype=float))
    if grid.ndim != 2 or grid.shape[1] != 5:
        raise FitInputError(f"Approach 3 starts must be rows (a, b, e, alpha, beta), got shape "
                            f"{grid.shape}")
    logs = np.log(N)[None], np.log(D)[None], np.log(L)[None]
    _, _, coarse = _minimise_from(grid, *logs, delta, max_iter=max_iter, ftol=2.2e-9)
    best = np.argsort(np.where(np.isfinite(coarse.fun), coarse.fun, np.inf))[:polish]
    theta, obj, _ = _minimise_from(coarse.x[best], *logs, delta, max_iter=2000, ftol=1e-12)
    if not np.isfinite(obj):
        raise FitInputError("Chinchilla Approach 3: no start reached a finite objective; "
                            "check that the losses are in nats per token")
    return law_from_theta(theta, source=source, objective=obj, n_points=N.size,
                          n_starts=len(grid), huber_delta=delta)


@dataclass
class ChinchillaBootstrap:
    """Bootstrap replicates of Approach 3 and their percentile intervals."""

    fit: ChinchillaFit
    samples: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (n_boot,) values
    level: float = 0.8

    def interval(self, name: str) -> tuple[float, float]:
        return central_interval(self.samples[name], self.level)


DERIVED_QUANTITIES = ("E", "A", "B", "alpha", "beta", "a", "b", "G")


def derived_quantities(law: ChinchillaLaw) -> dict[str, float]:
    a, b = allocation_exponents(law)
    return {"E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta,
            "a": a, "b": b, "G": allocation_coefficient(law)}


def bootstrap_chinchilla_approach3(N, D, L, *, n_boot: int = 200, seed: int = 0,
                                   delta: float = 1e-3, level: float = 0.8,
                                   fit: ChinchillaFit | None = None,
                                   extra_starts: int = 8) -> ChinchillaBootstrap:
    """Percentile intervals for Approach 3 by resampling points with replacement.

    Each replicate is a weighted fit (weight = how often a point was drawn). Why not the full
    grid per replicate: resampling moves the optimum only a little, so each replicate starts from
    the full-data optimum plus `extra_starts` grid points drawn at random (a guard against a
    replicate whose optimum jumps basin). All replicates run in one batched L-BFGS call.
    """
    N, D, L = positive_arrays(5, "Chinchilla bootstrap", N=N, D=D, L=L)
    if fit is None:
        fit = fit_chinchilla_approach3(N, D, L, delta=delta)
    rng = np.random.default_rng(seed)
    n = N.size
    grid = initial_grid()
    log_N, log_D, log_L = np.log(N), np.log(D), np.log(L)
    center = theta_from_law(fit)
    k = 1 + extra_starts
    starts, weights = [], []
    for _ in range(n_boot):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        picks = grid[rng.choice(len(grid), size=extra_starts, replace=False)]
        starts.append(np.vstack([center, picks]))
        weights.append(counts)
    starts = np.vstack(starts)
    counts = np.vstack(weights)
    # Row r of the batch belongs to replicate r // k and carries that replicate's point counts.
    _, _, res = _minimise_from(starts, log_N[None], log_D[None], log_L[None], delta,
                               weights=np.repeat(counts, k, axis=0), max_iter=1000)
    fun_vals = res.fun.reshape(n_boot, k)
    best = fun_vals.argmin(axis=1)
    thetas = res.x.reshape(n_boot, k, 5)[np.arange(n_boot), best]
    rows = [_replicate_quantities(t, f) for t, f in zip(thetas, fun_vals[np.arange(n_boot), best])]
    samples = {name: np.array([r[name] for r in rows]) for name in rows[0]}
    return ChinchillaBootstrap(fit=fit, samples=samples, level=level)


def _replicate_quantities(theta: np.ndarray, objective: float) -> dict[str, float]:
    """A replicate's derived quantities; NaN for one that diverged (non-finite objective or
    coefficient, or alpha, beta <= 0), so the percentile intervals skip it (np.nanquantile)."""
    law = law_from_theta(theta)
    ok = (np.isfinite(objective) and all(map(math.isfinite, (law.E, law.A, law.B)))
          and law.alpha > 0 and law.beta > 0)
    if not ok:
        return dict.fromkeys(DERIVED_QUANTITIES, math.nan)
    return derived_quantities(law)
