"""Fitted scaling exponents of the sweeps beside the quantization model's theory.

Each sweep (width or data, one alpha) gives points (x, L) with x = parameters N or samples D.
Only points whose loss corresponds to between `min_quanta` and `max_quanta_fraction * n_tasks`
effectively learned quanta enter the fit (see theory.in_power_law_range): below, the loss sits on
the chance plateau.

Why the loss itself is not fitted. With T subtasks the loss with n quanta learned is
L(n) = log 2 · Σ_{n<i<=T} p_i ≈ c (n^-α - T^-α): its local slope in n is α / (1 - (n/T)^α),
twice α already at n = T/40 for α = 0.4. A straight line through L(x) therefore measures the
finite task count, not α: the demo's old fits gave α_D ≈ 0.5 for every α (theory 0.29-0.5). The
theory's content is how the number of learned quanta grows, n ∝ N (a fixed cost per quantum) and
n ∝ D^{1/(α+1)} (quantum i is learned once D p_i reaches a threshold); L ∝ n^-α then follows
from the Zipf frequencies alone (infinitely many subtasks). So each sweep fits the effectively
learned quanta n_eff ∝ x^β (theory.effective_quanta_learned, exact for the finite-T loss curve),
and the loss exponent is α_N = α β_N, α_D = α β_D, the exponent of L(x) with T → ∞, with the
interval of β scaled by α. The straight-line fit of the loss is kept beside it (`loss_*`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scalinglab.quantization.powerlaw import fit_loss_exponent
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


def _interval_row(prefix: str, fit) -> dict:
    if fit is None:
        return {prefix: np.nan, f"{prefix}_lo": np.nan, f"{prefix}_hi": np.nan}
    return {prefix: fit.exponent, f"{prefix}_lo": fit.exponent_low, f"{prefix}_hi": fit.exponent_high}


def fit_sweep_exponents(points: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (sweep, alpha): the exponent α·β from n_eff ∝ x^β, its interval, the theory.

    Columns: sweep, quantity (alpha_N | alpha_D), alpha, zipf_exponent, fitted, low, high
    (= α·beta, α·beta_lo, α·beta_hi), theory, inside (theory within [low, high]), beta, beta_lo,
    beta_hi, beta_theory (1 or 1/(α+1)), loss_fitted, loss_low, loss_high (straight line through
    the loss, finite-T biased), coefficient and loss_coefficient (L = c x^-a of the two fits, for
    drawing), n_points, x_min, x_max, level, status. A sweep with fewer than 3 points in range
    gets NaN and says so in `status`, so that one badly sized sweep does not hide the others.
    """
    rows = []
    for (sweep, alpha), group in points.groupby(["sweep", "alpha"], sort=True):
        x_col, name = SWEEP_AXIS[sweep]
        theory = dict(zip(("alpha_N", "alpha_D"), theory_exponents(alpha)))[name]
        beta_theory = 1.0 if sweep == "width" else 1.0 / (alpha + 1.0)
        used = group[group["in_fit_range"].astype(bool)]
        row = dict(sweep=sweep, quantity=name, alpha=alpha, zipf_exponent=alpha + 1, theory=theory,
                   beta_theory=beta_theory, n_points=len(used),
                   x_min=used[x_col].min() if len(used) else np.nan,
                   x_max=used[x_col].max() if len(used) else np.nan, level=level)
        try:
            # n_eff grows with x: fit 1/n_eff = c x^-β with the same power-law fitter.
            quanta = fit_loss_exponent(used[x_col], 1.0 / used["effective_quanta"].to_numpy(float),
                                   level=level)
            loss = fit_loss_exponent(used[x_col], used["loss"], level=level)
        except ValueError as err:
            rows.append(row | dict(fitted=np.nan, low=np.nan, high=np.nan, inside=False,
                                   status=f"not fitted: {err}"))
            continue
        low, high = alpha * quanta.exponent_low, alpha * quanta.exponent_high
        inside = bool(low <= theory <= high)
        rows.append(row | dict(
            fitted=alpha * quanta.exponent, low=low, high=high, inside=inside,
            beta=quanta.exponent, beta_lo=quanta.exponent_low, beta_hi=quanta.exponent_high,
            loss_fitted=loss.exponent, loss_low=loss.exponent_low, loss_high=loss.exponent_high,
            loss_coefficient=loss.coefficient,
            # L(x) with T -> ∞ is c' x^-(α β); anchored at the geometric centre of the fit range.
            coefficient=_anchor(used[x_col], used["loss"], alpha * quanta.exponent),
            status="theory inside interval" if inside else "theory outside interval"))
    cols = ["sweep", "quantity", "alpha", "zipf_exponent", "fitted", "low", "high", "theory", "inside",
            "beta", "beta_lo", "beta_hi", "beta_theory", "loss_fitted", "loss_low", "loss_high",
            "coefficient", "loss_coefficient", "n_points", "x_min", "x_max", "level", "status"]
    return pd.DataFrame(rows, columns=cols)


def _anchor(x, loss, exponent: float) -> float:
    """c such that c x^-exponent passes through the geometric mean of the points (for drawing)."""
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(loss, float))
    return float(np.exp(ly.mean() + exponent * lx.mean()))


# The columns of results/quantization/exponents.csv, one row per alpha (README, "Quantization").
EXPONENT_COLUMNS = [
    "alpha", "zipf_exponent", "n_tasks", "level",
    "alpha_N", "alpha_N_lo", "alpha_N_hi", "alpha_N_theory", "alpha_N_inside", "alpha_N_n_points",
    "alpha_D", "alpha_D_lo", "alpha_D_hi", "alpha_D_theory", "alpha_D_inside", "alpha_D_n_points",
    "beta_N", "beta_N_lo", "beta_N_hi", "beta_D", "beta_D_lo", "beta_D_hi",
    "loss_alpha_N", "loss_alpha_N_lo", "loss_alpha_N_hi", "loss_alpha_D", "loss_alpha_D_lo",
    "loss_alpha_D_hi", "N_min", "N_max", "D_min", "D_max"]


def exponents_table(fits: pd.DataFrame, n_tasks: int) -> pd.DataFrame:
    """The per-alpha table the verdicts read: α_N and α_D with intervals, theory, points used.

    `fits` is fit_sweep_exponents' output. An alpha with only one sweep gets NaN for the other.
    """
    rows = []
    for alpha, group in fits.groupby("alpha", sort=True):
        row = dict(alpha=alpha, zipf_exponent=alpha + 1, n_tasks=n_tasks, level=group["level"].iloc[0])
        for sweep, q, x in (("width", "N", "N"), ("data", "D", "D")):
            sub = group[group["sweep"] == sweep]
            f = sub.iloc[0] if len(sub) else pd.Series(dtype=float)
            get = lambda key: f.get(key, np.nan)  # noqa: E731
            row |= {f"alpha_{q}": get("fitted"), f"alpha_{q}_lo": get("low"), f"alpha_{q}_hi": get("high"),
                    f"alpha_{q}_theory": get("theory"), f"alpha_{q}_inside": bool(f.get("inside", False)),
                    f"alpha_{q}_n_points": int(get("n_points")) if len(sub) else 0,
                    f"beta_{q}": get("beta"), f"beta_{q}_lo": get("beta_lo"), f"beta_{q}_hi": get("beta_hi"),
                    f"loss_alpha_{q}": get("loss_fitted"), f"loss_alpha_{q}_lo": get("loss_low"),
                    f"loss_alpha_{q}_hi": get("loss_high"), f"{x}_min": get("x_min"), f"{x}_max": get("x_max")}
        rows.append(row)
    return pd.DataFrame(rows, columns=EXPONENT_COLUMNS)
