"""The one interval helper: the central `level` interval of bootstrap samples (level 0.8 = the
10th to the 90th percentile). Failed replicates are NaN and are left out."""
from __future__ import annotations

import math

import numpy as np


def central_interval(samples, level: float) -> tuple[float, float]:
    """(lo, hi) of one quantity's samples; (nan, nan) when none is finite."""
    s = np.asarray(samples, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return math.nan, math.nan
    q = (1 - level) / 2
    lo, hi = np.quantile(s, [q, 1 - q])
    return float(lo), float(hi)


def central_band(samples, level: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) arrays along `axis` of replicate curves (a prediction band), NaNs left out."""
    q = (1 - level) / 2
    lo, hi = np.nanquantile(np.asarray(samples, dtype=float), [q, 1 - q], axis=axis)
    return lo, hi
