"""A single power law L = c X^-a fitted as a straight line in log-log space, with an honest interval."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


@dataclass(frozen=True)
class PowerLawFit:
    """L = coefficient * x^-exponent; `exponent_low/high` is a two-sided `level` interval."""

    exponent: float
    exponent_stderr: float
    exponent_low: float
    exponent_high: float
    coefficient: float
    n_points: int
    level: float

    def predict(self, x):
        return self.coefficient * np.asarray(x, dtype=np.float64) ** -self.exponent


def fit_power_law(x, loss, level: float = 0.95) -> PowerLawFit:
    """Least squares of log L = log c - a log x (scipy.optimize.curve_fit).

    The interval is Student-t with n - 2 degrees of freedom on curve_fit's covariance (scaled by
    the residual variance): honest for the handful of points a sweep gives, where a bootstrap
    over points would degenerate.
    """
    x = np.asarray(x, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    if x.shape != loss.shape or x.ndim != 1:
        raise ValueError(f"power-law fit: x and loss must be 1-D of one length, got {x.shape} and {loss.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(loss))):
        raise ValueError("power-law fit: x or loss contains NaN/inf; drop those points first")
    if np.any(x <= 0) or np.any(loss <= 0):
        raise ValueError("power-law fit: sizes and losses must be > 0 (a power law is fitted in log space)")
    if x.size < 3:
        raise ValueError(f"power-law fit: {x.size} points for 2 parameters; need >= 3 for an interval "
                         "(widen the sweep or the fit range)")
    if np.unique(x).size < 2:
        raise ValueError("power-law fit: all x are equal; need at least two distinct sizes")
    lx, ly = np.log(x), np.log(loss)

    def line(lx_, log_c, a):
        return log_c - a * lx_

    slope0 = -np.polyfit(lx, ly, 1)[0]
    (log_c, a), cov = optimize.curve_fit(line, lx, ly, p0=[ly.mean() + slope0 * lx.mean(), slope0])
    stderr = float(np.sqrt(cov[1, 1])) if np.isfinite(cov[1, 1]) else float("nan")
    half = stats.t.ppf(0.5 + level / 2, x.size - 2) * stderr
    return PowerLawFit(exponent=float(a), exponent_stderr=stderr, exponent_low=float(a - half),
                       exponent_high=float(a + half), coefficient=float(np.exp(log_c)),
                       n_points=int(x.size), level=float(level))
