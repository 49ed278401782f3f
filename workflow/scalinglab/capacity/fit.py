"""The exponent b of N_min ∝ D^b, its interval, and where it stands against 2, 1.35 and 1.

Each measured pattern count D gives a bracket (params_lo, params_hi] from the ladder search; the
point estimate uses the geometric midpoint sqrt(params_lo * params_hi) and ordinary least squares
of log N_min on log D. The interval is a percentile bootstrap at the stated level that carries
both sources of error: the points are resampled with replacement (scatter between pattern counts,
at least two distinct D per replicate) and, in every replicate, each point's log N_min is drawn
uniformly inside its bracket (the ladder's resolution: the search cannot say where in the
bracket N_min lies).

References (exponents of N against D):
- 2: Niu et al. (ICLR 2026 version of arXiv 2405.08707), N = O(D²) for well-separated patterns;
- 1/0.74 ≈ 1.35: Kaplan et al. 2020, Eq. 4.4, the overfitting rule D ≳ 5·10³ N^0.74 read as the
  smallest N that does not overfit D tokens;
- 1: a linear capacity, a fixed number of bits stored per parameter.
"""
from __future__ import annotations

import math

import numpy as np

REFERENCES = (
    dict(key="niu", name="Niu et al. N = O(D^2)", exponent=2.0),
    dict(key="kaplan_overfitting", name="Kaplan et al. 2020 Eq. 4.4, D ~ 5e3 N^0.74 (N ∝ D^1.35)",
         exponent=1.0 / 0.74),
    dict(key="linear_capacity", name="linear capacity (fixed bits per parameter)", exponent=1.0),
)


def _slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    xc = x - x.mean()
    b = float(np.dot(xc, y - y.mean()) / np.dot(xc, xc))
    return b, float(y.mean() - b * x.mean())


def fit_exponent(patterns, params_lo, params_hi, level: float, n_boot: int, seed: int) -> dict:
    """OLS exponent of N_min against D with a bracket-aware pairs bootstrap interval.

    patterns, params_lo, params_hi: equal-length sequences; each bracket must satisfy
    0 < params_lo < params_hi (params_lo == params_hi is allowed for an exactly known N)."""
    d = np.asarray(patterns, dtype=float)
    lo = np.asarray(params_lo, dtype=float)
    hi = np.asarray(params_hi, dtype=float)
    if not (d.shape == lo.shape == hi.shape and d.ndim == 1):
        raise ValueError("capacity fit: patterns, params_lo and params_hi must be 1-D and of equal length")
    if len(np.unique(d)) < 3:
        raise ValueError(f"capacity fit: {len(np.unique(d))} distinct pattern counts with a bracketed N_min; "
                         f"need at least 3 (widen capacity.ladder or change capacity.pattern_counts)")
    if np.any(d <= 0) or np.any(lo <= 0) or np.any(hi < lo):
        raise ValueError("capacity fit: every D and bracket must be positive with params_lo <= params_hi")
    if not 0 < level < 1:
        raise ValueError(f"capacity fit: level={level} must be in (0, 1)")
    if n_boot < 2:
        raise ValueError(f"capacity fit: n_boot={n_boot} must be >= 2")
    x, ylo, yhi = np.log(d), np.log(lo), np.log(hi)
    y = 0.5 * (ylo + yhi)
    b, a = _slope(x, y)
    resid = y - (a + b * x)
    rng = np.random.default_rng(seed)
    k = len(x)
    slopes = []
    while len(slopes) < n_boot:
        idx = rng.integers(0, k, size=k)
        if len(np.unique(x[idx])) < 2:
            continue
        yb = rng.uniform(ylo[idx], yhi[idx])
        slopes.append(_slope(x[idx], yb)[0])
    slopes = np.asarray(slopes)
    q = (1 - level) / 2
    b_lo, b_hi = (float(v) for v in np.quantile(slopes, [q, 1 - q]))
    return dict(exponent=b, lo=b_lo, hi=b_hi, level=float(level), intercept=a,
                n_points=int(k), bootstrap_samples=int(n_boot),
                residual_sd=float(np.sqrt(np.sum(resid ** 2) / max(k - 2, 1))),
                log_d_span=float(x.max() - x.min()),
                max_bracket_log_width=float(np.max(yhi - ylo)))


def local_exponents(patterns, n_min) -> list[dict]:
    """Slope between consecutive points (log-log): a curve that bends shows up as drifting slopes,
    e.g. fixed overhead at the small end (slope < 1 there, ~1 once the overhead is amortised)."""
    pairs = sorted(zip(patterns, n_min))
    return [dict(patterns_from=int(d0), patterns_to=int(d1), exponent=float(math.log(n1 / n0) / math.log(d1 / d0)))
            for (d0, n0), (d1, n1) in zip(pairs, pairs[1:])]


def compare_with_references(fit: dict, references=REFERENCES) -> list[dict]:
    """For each reference exponent: inside the interval or not, and its distance in interval half-widths."""
    half = max((fit["hi"] - fit["lo"]) / 2, 1e-12)
    rows = []
    for ref in references:
        r = ref["exponent"]
        rows.append(dict(ref, inside_interval=bool(fit["lo"] <= r <= fit["hi"]),
                         distance_in_half_widths=float((fit["exponent"] - r) / half)))
    return rows


def bits_per_parameter(patterns, n_min, bits_per_pattern: float) -> list[float]:
    """Information stored per parameter at N_min: D * bits per pattern / N_min."""
    return [float(D * bits_per_pattern / n) if n and math.isfinite(n) else float("nan")
            for D, n in zip(patterns, n_min)]
