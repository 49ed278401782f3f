"""Data-constrained scaling (Muennighoff et al. 2023, "Scaling Data-Constrained Language Models").

Repeated tokens are worth less than new ones. With U unique tokens seen for D tokens in all
(R = D/U - 1 repetitions), the effective data is

    D' = U + U R_D* (1 - exp(-R / R_D*))

and, for parameters beyond the compute-optimal size U_N of the unique data (R_N = N/U_N - 1),

    N' = U_N + U_N R_N* (1 - exp(-R_N / R_N*)),

plugged into the Chinchilla form L = E + A / N'^alpha + B / D'^beta. R_D* is the "half-life" of
repeated data: about 4 epochs cost almost nothing; far beyond R_D* extra epochs add nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar

from .checks import FitInputError, positive_arrays
from .chinchilla import allocation_exponents, allocation_coefficient, chinchilla_loss, compute_optimal_allocation
from .published import ChinchillaLaw

# Muennighoff et al. 2023, Sec. 3 / Appendix A, fitted with Hoffmann et al. 2022's law.
MUENNIGHOFF_2023 = {"R_D_star": 15.4, "R_N_star": 5.3}


def effective_data(unique, tokens, R_D_star: float):
    """D' for `tokens` seen of `unique` distinct ones (D' = D while nothing repeats)."""
    unique, tokens = np.asarray(unique, float), np.asarray(tokens, float)
    U = np.minimum(unique, tokens)
    R = tokens / U - 1.0
    return U + U * R_D_star * (1.0 - np.exp(-R / R_D_star))


def optimal_params_for_data(tokens, law: ChinchillaLaw):
    """U_N: the compute-optimal model size whose optimal data is `tokens` (inverts D_opt(C))."""
    a, b = allocation_exponents(law)
    G = allocation_coefficient(law)
    # N_opt = G (C/6)^a and D_opt = (C/6)^b / G, so C/6 = (D G)^(1/b).
    return G * (np.asarray(tokens, float) * G) ** (a / b)


def effective_params(params, unique, law: ChinchillaLaw, R_N_star: float | None):
    """N': parameters beyond U_N (the optimal size for the unique data) count for less."""
    params = np.asarray(params, float)
    if R_N_star is None:
        return params
    U_N = np.minimum(optimal_params_for_data(unique, law), params)
    R_N = params / U_N - 1.0
    return U_N + U_N * R_N_star * (1.0 - np.exp(-R_N / R_N_star))


def data_constrained_loss(params, tokens, unique, law: ChinchillaLaw, R_D_star: float,
                          R_N_star: float | None = None):
    """L(N', D') under the Chinchilla law."""
    return chinchilla_loss(effective_params(params, unique, law, R_N_star),
                           effective_data(unique, tokens, R_D_star), law)


@dataclass
class HalfLifeFit:
    R_D_star: float
    lo: float
    hi: float
    level: float
    n_points: int
    n_repeated: int
    R_N_star: float | None
    samples: np.ndarray = field(default_factory=lambda: np.array([]))


def _fit_log_R(N, D, U, L, law, R_N_star, bounds):
    def sse(log_r):
        pred = data_constrained_loss(N, D, U, law, float(np.exp(log_r)), R_N_star)
        return float(np.sum((np.log(pred) - np.log(L)) ** 2))

    # A coarse grid first: the objective flattens for large R*, so Brent alone can stall there.
    grid = np.linspace(*bounds, 81)
    i = int(np.argmin([sse(g) for g in grid]))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    return float(np.exp(minimize_scalar(sse, bounds=(lo, hi), method="bounded",
                                        options={"xatol": 1e-6}).x))


def fit_repetition_half_life(N, D, U, L, law: ChinchillaLaw, *, R_N_star: float | None = None,
                             n_boot: int = 200, level: float = 0.8, seed: int = 0,
                             bounds=(1e-2, 1e4)) -> HalfLifeFit:
    """R_D* by least squares on log L given the Chinchilla `law` (E, A, B, alpha, beta held), with
    a bootstrap interval over the runs. Runs that repeat nothing pin the law; those that repeat
    identify R_D*, so at least two must repeat."""
    N, D, U, L = positive_arrays(1, "data-constrained fit", N=N, D=D, U=U, L=L)
    repeated = int(np.sum(D > U * (1 + 1e-9)))
    if repeated < 2:
        raise FitInputError(f"data-constrained fit: {repeated} of {N.size} runs repeat data (tokens > "
                            f"unique tokens); R_D* is not identified: add runs of more than one epoch")
    log_bounds = (float(np.log(bounds[0])), float(np.log(bounds[1])))
    best = _fit_log_R(N, D, U, L, law, R_N_star, log_bounds)
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n_boot):
        pick = rng.integers(0, N.size, N.size)
        if np.sum(D[pick] > U[pick] * (1 + 1e-9)) < 2:
            continue
        samples.append(_fit_log_R(N[pick], D[pick], U[pick], L[pick], law, R_N_star, log_bounds))
    samples = np.asarray(samples)
    q = (1 - level) / 2
    lo, hi = (np.quantile(samples, [q, 1 - q]) if samples.size else (np.nan, np.nan))
    return HalfLifeFit(R_D_star=best, lo=float(lo), hi=float(hi), level=level, n_points=int(N.size),
                       n_repeated=repeated, R_N_star=R_N_star, samples=samples)


def plan_data_constrained(flops: float, unique: float, law: ChinchillaLaw,
                          R_D_star: float = MUENNIGHOFF_2023["R_D_star"],
                          R_N_star: float | None = MUENNIGHOFF_2023["R_N_star"]) -> dict:
    """The best model size for `flops` (C = 6ND) with only `unique` distinct tokens: its tokens,
    epochs, loss, and the penalty against the same compute with unlimited data."""
    if not (np.isfinite(flops) and flops > 0 and np.isfinite(unique) and unique > 0):
        raise FitInputError(f"data-constrained plan: compute {flops:g} and unique tokens {unique:g} "
                            f"must be positive")
    N_free, D_free = compute_optimal_allocation(flops, law)
    L_free = float(chinchilla_loss(N_free, D_free, law))

    def loss(log_n):
        n = np.exp(log_n)
        return float(data_constrained_loss(n, flops / (6 * n), unique, law, R_D_star, R_N_star))

    centre = np.log(N_free)
    grid = np.linspace(centre - 12, centre + 12, 961)
    i = int(np.argmin([loss(g) for g in grid]))
    res = minimize_scalar(loss, bounds=(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]),
                          method="bounded", options={"xatol": 1e-8})
    N = float(np.exp(res.x))
    D = flops / (6 * N)
    L = float(res.fun)
    return dict(flops=float(flops), unique_tokens=float(unique), params=N, tokens=D,
                epochs=float(D / unique), loss=L, unlimited_params=float(N_free), unlimited_tokens=float(D_free),
                unlimited_loss=L_free, loss_penalty=L - L_free, R_D_star=R_D_star, R_N_star=R_N_star)


def fit_half_life_on_runs(points, *, delta: float = 1e-3, R_N_star: float | None = None, n_boot: int = 200,
                          level: float = 0.8, seed: int = 0):
    """R_D* on runs of a table (runs_table.repetition_points): the Chinchilla law from the runs that
    repeat nothing (Approach 3), then R_D* from all of them given that law. Returns (law, fit)."""
    from .chinchilla import fit_chinchilla_approach3

    once = points[~points["repeats"]]
    if len(once) < 6:  # runs_table.MIN_SINGLE_EPOCH_DATA_CONSTRAINED
        raise FitInputError(f"data-constrained fit: {len(once)} single-epoch runs; the Chinchilla law "
                            f"under R_D* needs >= 6 (5 parameters): add runs of at most one epoch")
    law = fit_chinchilla_approach3(once["N"], once["D"], once["L"], delta=delta)
    fit = fit_repetition_half_life(points["N"], points["D"], points["U"], points["L"], law,
                                   R_N_star=R_N_star, n_boot=n_boot, level=level, seed=seed)
    return law, fit
