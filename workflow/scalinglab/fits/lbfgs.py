"""L-BFGS run on many independent starting points at once (numpy, vectorised across starts).

Why: Approach 3 of Hoffmann et al. 2022 starts L-BFGS from a 4,500-point grid. A Python loop of
`scipy.optimize.minimize` pays interpreter overhead per start and per iteration (~40 s); here every
start keeps its own history, step size and stopping state, but all active starts share one
vectorised objective call per iteration, and starts that have converged leave the batch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

Objective = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class BatchedResult:
    x: np.ndarray          # (S, P) final points
    fun: np.ndarray        # (S,) final objective values
    n_iter: np.ndarray     # (S,) iterations each start used
    converged: np.ndarray  # (S,) bool: met a tolerance rather than the iteration cap


def minimize_lbfgs_batched(fun_and_grad: Objective, x0: np.ndarray, *, history: int = 10,
                           max_iter: int = 1000, gtol: float = 1e-8, ftol: float = 1e-12,
                           max_backtracks: int = 40) -> BatchedResult:
    """Minimise `fun_and_grad` from each row of `x0` independently.

    `fun_and_grad(x, rows)` takes an (S', P) array of points and the indices of those rows in
    `x0` (so an objective can differ per start, e.g. bootstrap weights) and returns objective
    values (S',) and gradients (S', P). Stopping per start: gradient max-norm <= gtol, or the
    relative decrease of the objective <= ftol (as scipy's L-BFGS-B `ftol`), or no Armijo step.
    """
    x = np.array(x0, dtype=float, copy=True)
    S, P = x.shape
    f, g = fun_and_grad(x, np.arange(S))
    s_hist = np.zeros((S, history, P))
    y_hist = np.zeros((S, history, P))
    rho = np.zeros((S, history))  # 0 marks an empty slot, so it drops out of the recursion
    n_iter = np.zeros(S, dtype=int)
    converged = np.zeros(S, dtype=bool)
    active = np.flatnonzero(np.abs(g).max(axis=1) > gtol)
    converged[np.setdiff1d(np.arange(S), active)] = True

    for _ in range(max_iter):
        if active.size == 0:
            break
        xa, fa, ga = x[active], f[active], g[active]
        sa, ya, ra = s_hist[active], y_hist[active], rho[active]

        # Two-loop recursion, newest pair last in the buffer.
        q = ga.copy()
        alphas = np.zeros((active.size, history))
        for j in range(history - 1, -1, -1):
            alphas[:, j] = ra[:, j] * np.einsum("sp,sp->s", sa[:, j], q)
            q -= alphas[:, j, None] * ya[:, j]
        yy = np.einsum("sp,sp->s", ya[:, -1], ya[:, -1])
        gamma = np.where(ra[:, -1] > 0, 1.0 / np.maximum(ra[:, -1] * yy, 1e-300), 0.0)
        fresh = ra[:, -1] == 0
        # Without curvature pairs, a first step of unit length in parameter space.
        gamma[fresh] = 1.0 / np.maximum(np.linalg.norm(ga[fresh], axis=1), 1e-12)
        r = gamma[:, None] * q
        for j in range(history):
            beta = ra[:, j] * np.einsum("sp,sp->s", ya[:, j], r)
            r += (alphas[:, j] - beta)[:, None] * sa[:, j]
        d = -r
        slope = np.einsum("sp,sp->s", d, ga)
        uphill = slope >= 0
        if uphill.any():  # stale curvature: restart that start's history from steepest descent
            d[uphill] = -ga[uphill] / np.maximum(np.linalg.norm(ga[uphill], axis=1), 1e-12)[:, None]
            slope[uphill] = np.einsum("sp,sp->s", d[uphill], ga[uphill])
            ra[uphill] = 0.0

        # Backtracking Armijo line search, vectorised over the starts still searching.
        t = np.ones(active.size)
        x_new, f_new, g_new = xa.copy(), fa.copy(), ga.copy()
        pending = np.arange(active.size)
        for _ in range(max_backtracks):
            trial = xa[pending] + t[pending, None] * d[pending]
            ft, gt = fun_and_grad(trial, active[pending])
            ok = np.isfinite(ft) & (ft <= fa[pending] + 1e-4 * t[pending] * slope[pending])
            acc = pending[ok]
            x_new[acc], f_new[acc], g_new[acc] = trial[ok], ft[ok], gt[ok]
            pending = pending[~ok]
            if pending.size == 0:
                break
            t[pending] *= 0.5
        stalled = np.zeros(active.size, dtype=bool)
        stalled[pending] = True

        # Curvature pairs: keep only those with s.y > 0 so the inverse Hessian stays positive.
        s_new = x_new - xa
        y_new = g_new - ga
        sy = np.einsum("sp,sp->s", s_new, y_new)
        upd = (sy > 1e-12 * np.maximum(np.linalg.norm(s_new, axis=1) *
                                       np.linalg.norm(y_new, axis=1), 1e-300)) & ~stalled
        if upd.any():
            sa[upd] = np.roll(sa[upd], -1, axis=1)
            ya[upd] = np.roll(ya[upd], -1, axis=1)
            ra[upd] = np.roll(ra[upd], -1, axis=1)
            sa[upd, -1], ya[upd, -1], ra[upd, -1] = s_new[upd], y_new[upd], 1.0 / sy[upd]

        x[active], f[active], g[active] = x_new, f_new, g_new
        s_hist[active], y_hist[active], rho[active] = sa, ya, ra
        n_iter[active] += 1

        small_grad = np.abs(g_new).max(axis=1) <= gtol
        small_step = (fa - f_new) <= ftol * np.maximum(np.maximum(np.abs(fa), np.abs(f_new)), 1.0)
        done = small_grad | (small_step & ~stalled) | stalled
        converged[active[done]] = True
        active = active[~done]

    return BatchedResult(x=x, fun=f, n_iter=n_iter, converged=converged)
