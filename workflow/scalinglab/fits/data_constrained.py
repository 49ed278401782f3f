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

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize, minimize_scalar

from .checks import FitInputError, positive_arrays
from .chinchilla import allocation_exponents, allocation_coefficient, chinchilla_loss, compute_optimal_allocation
from .published import ChinchillaLaw

# Muennighoff et al. 2023, Sec. 3 / Appendix A, fitted with Hoffmann et al. 2022's law.
MUENNIGHOFF_2023 = {"R_D_star": 15.4, "R_N_star": 5.3}
# How the fit reads R_D* off the runs (written into the fit JSON and the caption).
RULE = ("Chinchilla law (Approach 3, Huber on log L) fitted on the runs that repeat nothing, at the "
        "model sizes that repeat; R_D* minimises the Huber loss on log L of the runs that repeat, "
        "L = E + A/N'^alpha + B/D'^beta with D' = U + U R_D* (1 - exp(-R/R_D*)), R = D/U - 1; interval: "
        "percentiles of a bootstrap that redraws the single-epoch runs (refitting the law) and the "
        "repeated runs; R_N* only where identified (>= 2 sizes repeat one U, one above U_N)")


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
    # R_N* fitted with R_D* (when `r_n_identified` holds), with its interval; else why not.
    R_N_lo: float = math.nan
    R_N_hi: float = math.nan
    R_N_reason: str = ""


def _huber(r, delta):
    if delta is None:
        return 0.5 * r ** 2
    c = np.clip(r, -delta, delta)
    return c * (r - 0.5 * c)


def _fit_log_R(N, D, U, L, law, R_N_star, bounds, delta=None, weights=None):
    w = np.ones_like(L) if weights is None else weights

    def objective(log_r):
        pred = data_constrained_loss(N, D, U, law, float(np.exp(log_r)), R_N_star)
        return float(np.sum(w * _huber(np.log(pred) - np.log(L), delta)))

    # A coarse grid first: the objective flattens for large R*, so Brent alone can stall there.
    grid = np.linspace(*bounds, 81)
    i = int(np.argmin([objective(g) for g in grid]))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    return float(np.exp(minimize_scalar(objective, bounds=(lo, hi), method="bounded",
                                        options={"xatol": 1e-6}).x))


def _fit_log_R_both(N, D, U, L, law, bounds, delta=None, weights=None):
    """(R_D*, R_N*) together: a coarse grid over both logs, then Nelder-Mead inside the bounds."""
    w = np.ones_like(L) if weights is None else weights

    def objective(x):
        x = np.clip(x, *bounds)
        pred = data_constrained_loss(N, D, U, law, float(np.exp(x[0])), float(np.exp(x[1])))
        return float(np.sum(w * _huber(np.log(pred) - np.log(L), delta)))

    grid = np.linspace(*bounds, 25)
    best = min(((a, b) for a in grid for b in grid), key=lambda x: objective(np.array(x)))
    res = minimize(objective, np.array(best), method="Nelder-Mead",
                   options={"xatol": 1e-5, "fatol": 1e-12, "maxiter": 2000})
    x = np.clip(res.x, *bounds)
    return float(np.exp(x[0])), float(np.exp(x[1]))


def r_n_identified(N, D, U, law: ChinchillaLaw, sizes_fitted=None) -> tuple[bool, str]:
    """R_N* (the value of parameters beyond U_N, the compute-optimal size for the unique data) is
    identified when, at one unique-token budget, the repeated runs span at least two model sizes,
    at least one of them larger than U_N under the fitted law, and U_N lies within the model sizes
    the law was fitted on (`sizes_fitted`; outside them U_N is an extrapolation of the law)."""
    N, D, U = (np.asarray(x, float) for x in (N, D, U))
    span = (np.min(sizes_fitted), np.max(sizes_fitted)) if sizes_fitted is not None else (0, np.inf)
    rep = D > U * (1 + 1e-9)
    if not rep.any():
        return False, "no run repeats data"
    try:
        U_N = optimal_params_for_data(U, law)
    except FitInputError as err:
        return False, f"the single-epoch law has no compute-optimal size ({err})"
    best = (0, 0, None)
    for u in np.unique(U[rep]):
        at = rep & (U == u)
        sizes = np.unique(N[at])
        inside = span[0] <= U_N[at][0] <= span[1]
        above = int(np.sum(sizes > U_N[at][0])) if inside else 0
        best = max(best, (sizes.size, above, u), key=lambda t: (min(t[0], 2) + min(t[1], 1), t[0]))
        if sizes.size >= 2 and above >= 1:
            return True, (f"{sizes.size} model sizes repeat U = {u:.3g} unique tokens, {above} above "
                          f"U_N = {U_N[at][0]:.3g}")
    n, above, u = best
    return False, (f"R_N* not identified: the repeated runs have at most {n} model size(s) at one "
                   f"unique-token budget (U = {u:.3g}) and {above} above its compute-optimal size U_N; "
                   f"needs >= 2 sizes, one above U_N, with U_N inside the fitted sizes "
                   f"[{span[0]:.3g}, {span[1]:.3g}]")


def fit_repetition_half_life(N, D, U, L, law: ChinchillaLaw, *, R_N_star: float | None = None,
                             n_boot: int = 200, level: float = 0.8, seed: int = 0,
                             bounds=(1e-2, 1e4), delta: float | None = None) -> HalfLifeFit:
    """R_D* by least squares (or Huber with `delta`) on log L given the Chinchilla `law` (E, A, B,
    alpha, beta held), with a bootstrap interval over the runs. Runs that repeat nothing pin the
    law; those that repeat identify R_D*, so at least two must repeat."""
    N, D, U, L = positive_arrays(1, "data-constrained fit", N=N, D=D, U=U, L=L)
    repeated = int(np.sum(D > U * (1 + 1e-9)))
    if repeated < 2:
        raise FitInputError(f"data-constrained fit: {repeated} of {N.size} runs repeat data (tokens > "
                            f"unique tokens); R_D* is not identified: add runs of more than one epoch")
    log_bounds = (float(np.log(bounds[0])), float(np.log(bounds[1])))
    best = _fit_log_R(N, D, U, L, law, R_N_star, log_bounds, delta)
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n_boot):
        pick = rng.integers(0, N.size, N.size)
        if np.sum(D[pick] > U[pick] * (1 + 1e-9)) < 2:
            continue
        samples.append(_fit_log_R(N[pick], D[pick], U[pick], L[pick], law, R_N_star, log_bounds, delta))
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


def min_single_epoch_runs(n_sizes: int) -> int:
    """Single-epoch runs the law under R_D* needs: Approach 3's five parameters plus one; with one
    model size E + A/N^alpha is one constant (three parameters), and Approach 3 takes >= 5 points."""
    return 5 if n_sizes <= 1 else 6


def single_epoch_law(once, *, delta: float = 1e-3, starts=None):
    """Approach 3 on the runs that repeat nothing (frame with N, D, L)."""
    from .chinchilla import fit_chinchilla_approach3

    need = min_single_epoch_runs(once["N"].nunique())
    if len(once) < need:
        raise FitInputError(f"data-constrained fit: {len(once)} single-epoch runs at "
                            f"{once['N'].nunique()} model size(s); the Chinchilla law under R_D* needs "
                            f">= {need}: add runs of at most one epoch")
    return fit_chinchilla_approach3(once["N"], once["D"], once["L"], delta=delta, starts=starts,
                                    source="single-epoch runs, Approach 3")


def fit_half_life_on_runs(points, *, delta: float = 1e-3, n_boot: int = 200, level: float = 0.8,
                          seed: int = 0, bounds=(1e-2, 1e4), extra_starts: int = 8):
    """Muennighoff et al. 2023's fit on runs (frame with N, D, U, L, repeats: runs_table.
    repetition_points or `summary_points`): the Chinchilla law from the runs that repeat nothing,
    at the model sizes that repeat (Approach 3, Huber `delta` on log L), then R_D* from the runs that repeat, given that law (Huber
    on log L too: a run far past R_D* whose loss rises again, which the law cannot describe, counts
    with bounded weight). R_N* is fitted with R_D* only where `r_n_identified` holds.

    The interval is a stratified bootstrap: each replicate redraws the single-epoch runs and
    refits the law (from the full fit's optimum and `extra_starts` grid starts), then redraws the
    repeated runs and refits R_D* (and R_N*). Returns (law, HalfLifeFit)."""
    from .chinchilla import initial_grid, theta_from_law

    once, rep = points[~points["repeats"]], points[points["repeats"]]
    if len(rep) < 2:
        raise FitInputError(f"data-constrained fit: {len(rep)} of {len(points)} runs repeat data (tokens "
                            f"> unique tokens); R_D* is not identified: add runs of more than one epoch")
    # The law where R_D* is read off: at the model sizes that repeat (a law fitted across other
    # sizes too would carry its misfit there into R_D*).
    once = once[once["N"].isin(rep["N"].unique())]
    law = single_epoch_law(once, delta=delta)
    identified, reason = r_n_identified(rep["N"], rep["D"], rep["U"], law, once["N"])
    log_bounds = (float(np.log(bounds[0])), float(np.log(bounds[1])))
    arrays = [rep[c].to_numpy(float) for c in ("N", "D", "U", "L")]

    def fit_R(lw, pick):
        a = [x[pick] for x in arrays]
        if identified:
            return _fit_log_R_both(*a, lw, log_bounds, delta)
        return _fit_log_R(*a, lw, None, log_bounds, delta), math.nan

    best_D, best_N = fit_R(law, np.arange(len(rep)))
    rng = np.random.default_rng(seed)
    grid = initial_grid()
    center = theta_from_law(law)
    samples = []
    for _ in range(n_boot):
        starts = np.vstack([center, grid[rng.choice(len(grid), size=extra_starts, replace=False)]])
        law_b = single_epoch_law(once.iloc[rng.integers(0, len(once), len(once))], delta=delta,
                                 starts=starts)
        pick = rng.integers(0, len(rep), len(rep))
        try:
            samples.append(fit_R(law_b, pick))
        except FitInputError:  # a replicate whose law has no allocation (R_N*): skipped
            continue
    samples = np.asarray(samples, float).reshape(-1, 2)
    q = (1 - level) / 2

    def interval(col):
        v = samples[:, col]
        v = v[np.isfinite(v)]
        return tuple(np.quantile(v, [q, 1 - q])) if v.size else (math.nan, math.nan)

    (lo, hi), (n_lo, n_hi) = interval(0), interval(1)
    fit = HalfLifeFit(R_D_star=best_D, lo=float(lo), hi=float(hi), level=level, n_points=len(points),
                      n_repeated=len(rep), R_N_star=best_N if identified else None,
                      samples=samples[:, 0], R_N_lo=float(n_lo), R_N_hi=float(n_hi),
                      R_N_reason=reason)
    return law, fit


def summary_points(summaries, params: str = "params_non_embedding", loss: str = "val_loss"):
    """Per pipeline run (scalinglab.fits.runs.read_summaries plus each summary's
    train_tokens_available): run, model, N, D (tokens seen), U (the subset's unique tokens), L (final
    loss), best (its best validation loss), epochs, repeats = D > U."""
    import pandas as pd

    U = summaries["train_tokens_available"].astype(float)
    D = summaries["tokens"].astype(float)
    return pd.DataFrame(dict(run=summaries["run"], model=summaries["model"],
                             N=summaries[params].astype(float), D=D, U=U,
                             L=summaries[f"final_{loss}"].astype(float),
                             best=summaries["best_val_loss"].astype(float), epochs=D / U,
                             repeats=D > U * (1 + 1e-9))).reset_index(drop=True)
