"""A single power law L = c X^-a: the quantization sweeps' result type over the fits package's
log-log line fitter (scalinglab.fits.kaplan.fit_proportional), with its interval."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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


def fit_loss_exponent(x, loss, level: float = 0.95) -> PowerLawFit:
    """The exponent a of L = c x^-a: the fits package's log-log line (`fit_proportional`, least
    squares of log L on log x) with its Student-t interval at `level` on n - 2 degrees of freedom,
    honest for the handful of points a sweep gives, where a bootstrap over points would degenerate.
    """
    from scalinglab.fits.kaplan import fit_proportional

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
    line = fit_proportional(x, loss, "power-law fit", level=level)
    return PowerLawFit(exponent=-line.exponent, exponent_stderr=line.exponent_stderr,
                       exponent_low=-line.exponent_hi, exponent_high=-line.exponent_lo,
                       coefficient=line.k, n_points=line.n_points, level=float(level))
