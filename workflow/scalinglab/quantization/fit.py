"""Fitted scaling exponents of the sweeps beside the quantization model's theory.

Each sweep (width or data, one alpha) gives points (x, L) with x = parameters N or samples D.
Only points whose loss corresponds to between `min_quanta` and `max_quanta_fraction * n_tasks`
effectively learned quanta enter the fit (see theory.in_power_law_range): the power law of the
theory holds only there.

With a finite number of tasks the loss curve L(n) = log 2 · Σ_{n<i<=T} p_i is steeper than n^-α
well before n reaches T, so fitted loss exponents come out above the theory for small task counts.
The table therefore also fits the effective number of learned quanta, n_eff ∝ x^β, which has no
finite-T bias: the theory says β = 1 for parameters (a fixed cost per quantum) and β = 1/(α+1)
for data (quantum i is learned once D p_i reaches a threshold).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scalinglab.quantization.powerlaw import fit_power_law
from scalinglab.quantization.theory import effective_quanta_learned, in_power_law_range, theory_exponents

SWEEP_AXIS = {"width": ("params", "alpha_N"), "data": ("samples", "alpha_D")}


def mark_fit_range(points: pd.DataFrame, n_tasks: int, min_quanta: float,
                   max_quanta_fraction: float) -> pd.DataFrame:
    """Add `effective_quanta` and `in_fit_range` columns (per alpha, since the map depends on it)."""
    out = points.copy()
    out["effective_quanta"] = np.nan
    out["in_fit_range"] = False
    for alpha, group in out.groupby("alpha"):
        out.loc[group.index, "effective_quanta"] = effective_quanta_learned(group["loss"], n_tasks, alpha)
        out.loc[group.index, "in_fit_range"] = in_power_law_range(
            group["loss"].to_numpy(), n_tasks, alpha, min_quanta, max_quanta_fraction)
    return out


def fit_sweep_exponents(points: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (sweep, alpha): fitted exponent, its interval, the theory, the points used.

    A sweep with fewer than 3 points in range gets NaN and says so in `status`, so that one
    badly sized sweep does not hide the others; the figure shows it as missing.
    """
    rows = []
    for (sweep, alpha), group in points.groupby(["sweep", "alpha"], sort=True):
        x_col, name = SWEEP_AXIS[sweep]
        theory = dict(zip(("alpha_N", "alpha_D"), theory_exponents(alpha)))[name]
        used = group[group["in_fit_range"]]
        row = dict(sweep=sweep, quantity=name, alpha=alpha, zipf_exponent=alpha + 1, theory=theory,
                   n_points=len(used), x_min=used[x_col].min() if len(used) else np.nan,
                   x_max=used[x_col].max() if len(used) else np.nan, level=level)
        try:
            fit = fit_power_law(used[x_col], used["loss"], level=level)
        except ValueError as err:
            rows.append(row | dict(fitted=np.nan, stderr=np.nan, low=np.nan, high=np.nan,
                                   coefficient=np.nan, status=f"not fitted: {err}"))
            continue
        inside = fit.exponent_low <= theory <= fit.exponent_high
        # n_eff grows with x: fit 1/n_eff = c x^-β with the same power-law fitter.
        n_eff = used["effective_quanta"].to_numpy(dtype=float)
        with np.errstate(divide="ignore"):
            try:  # n_eff = 0 is possible only with fit.min_quanta = 0
                quanta = fit_power_law(used[x_col], 1.0 / n_eff, level=level)
            except ValueError:
                quanta = None
        rows.append(row | dict(fitted=fit.exponent, stderr=fit.exponent_stderr, low=fit.exponent_low,
                               high=fit.exponent_high, coefficient=fit.coefficient,
                               status="theory inside interval" if inside else "theory outside interval",
                               quanta_fitted=quanta.exponent if quanta else np.nan,
                               quanta_low=quanta.exponent_low if quanta else np.nan,
                               quanta_high=quanta.exponent_high if quanta else np.nan,
                               quanta_theory=1.0 if sweep == "width" else 1.0 / (alpha + 1.0)))
    cols = ["sweep", "quantity", "alpha", "zipf_exponent", "fitted", "low", "high", "stderr", "level",
            "theory", "coefficient", "n_points", "x_min", "x_max", "status", "quanta_fitted", "quanta_low",
            "quanta_high", "quanta_theory"]
    return pd.DataFrame(rows, columns=cols)
