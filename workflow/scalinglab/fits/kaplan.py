"""Kaplan et al. 2020 power laws: L(N), L(D), L(C_min), the joint L(N, D), learning curves
L(N, S) and the compute-efficient frontier N_opt ∝ C^x.

Stable API (imported by the planner):
    power_law_loss(x, law)                     -> L = E + (x_c / x)^alpha
    fit_power_law(x, L, irreducible=False, E=0) -> PowerLaw (E fitted, or known and fixed)
    kaplan_joint_loss(N, D, law)               -> E + Eq. 1.5
    fit_kaplan_joint(N, D, L, E=0)             -> KaplanJointLaw (Eq. 1.5 on L - E, E known)
    learning_curve_loss(N, S, law)             -> Eq. 1.6 (without the B_crit correction)
    fit_learning_curves(N, S, L)               -> LearningCurveLaw
    fit_compute_frontier(C, N_opt)             -> ProportionalLaw (N_opt = k C^x)
    kaplan_optimal_params(C, frontier)         -> N_opt
Units: N non-embedding parameters, D tokens, S optimiser steps, C FLOPs, L nats per token.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats
from scipy.optimize import least_squares

from .checks import FitInputError, positive_arrays
from .published import KAPLAN_2020, KAPLAN_2020_TABLE2


@dataclass(frozen=True)
class PowerLaw:
    """L(x) = E + (x_c / x)^alpha (Kaplan et al. 2020, Eqs. 1.1-1.3; E = 0 there)."""

    x_c: float
    alpha: float
    E: float = 0.0
    rms_log_residual: float = math.nan
    n_points: int = 0


@dataclass(frozen=True)
class KaplanJointLaw:
    """L(N, D) = E + [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D (Kaplan et al. 2020,
    Eq. 1.5, E = 0 there). A known E (a corpus's entropy floor) makes the exponents those of the
    reducible loss L - E, the quantity the quantization model predicts."""

    N_c: float
    D_c: float
    alpha_N: float
    alpha_D: float
    rms_log_residual: float = math.nan
    n_points: int = 0
    source: str = ""
    E: float = 0.0


@dataclass(frozen=True)
class LearningCurveLaw:
    """L(N, S) = (N_c / N)^alpha_N + (S_c / S)^alpha_S (Kaplan et al. 2020, Eq. 1.6)."""

    N_c: float
    S_c: float
    alpha_N: float
    alpha_S: float
    rms_log_residual: float = math.nan
    n_points: int = 0
    source: str = ""


@dataclass(frozen=True)
class ProportionalLaw:
    """y = k x^exponent (e.g. N_opt = k C^x; Kaplan et al. 2020, Eq. 1.7); `exponent_lo/hi` is a
    two-sided Student-t interval at `level` when one was asked for."""

    k: float
    exponent: float
    rms_log_residual: float = math.nan
    n_points: int = 0
    exponent_stderr: float = math.nan
    exponent_lo: float = math.nan
    exponent_hi: float = math.nan
    level: float = math.nan


KAPLAN_2020_JOINT = KaplanJointLaw(N_c=KAPLAN_2020_TABLE2["N_c"], D_c=KAPLAN_2020_TABLE2["D_c"],
                                   alpha_N=KAPLAN_2020_TABLE2["alpha_N"],
                                   alpha_D=KAPLAN_2020_TABLE2["alpha_D"],
                                   source="Kaplan et al. 2020, Table 2")


# ---------------------------------------------------------------- single-variable power laws

def power_law_loss(x, law: PowerLaw):
    return law.E + (law.x_c / np.asarray(x, dtype=float)) ** law.alpha


def fit_proportional(x, y, what: str = "power law y = k x^p", *, exponent: float | None = None,
                     level: float | None = None) -> ProportionalLaw:
    """Least squares of log y on log x (exact for a pure power law): the one log-log line fitter.

    `exponent` fixes the slope and fits k alone (the mean log residual); `level` adds a Student-t
    interval on the slope with n - 2 degrees of freedom (scipy.stats.linregress's standard
    error), honest for the handful of points a sweep gives, where a bootstrap would degenerate.
    """
    x, y = positive_arrays(1 if exponent is not None else 2, what, x=x, y=y)
    lx, ly = np.log(x), np.log(y)
    if exponent is not None:
        intercept, slope = float(np.mean(ly - exponent * lx)), float(exponent)
    else:
        if np.ptp(lx) == 0:
            raise FitInputError(f"{what}: every x is {x[0]:g}; a power law needs x to vary")
        slope, intercept = np.polyfit(lx, ly, 1)
    resid = ly - (intercept + slope * lx)
    if not intercept < math.log(np.finfo(float).max):
        # e.g. a bootstrap replicate's IsoFLOP vertex far outside the ladder (a near-flat parabola)
        raise FitInputError(f"{what}: prefactor k = exp({intercept:.4g}) overflows (slope "
                            f"{slope:.4g}); the points do not follow a power law")
    law = ProportionalLaw(k=float(math.exp(intercept)), exponent=float(slope),
                          rms_log_residual=float(np.sqrt(np.mean(resid ** 2))), n_points=x.size)
    if level is None or exponent is not None:
        return law
    if x.size < 3:
        raise FitInputError(f"{what}: {x.size} points for 2 parameters; need >= 3 for an interval "
                            "(widen the sweep or the fit range)")
    stderr = float(stats.linregress(lx, ly).stderr)
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 2)) * stderr
    return replace(law, exponent_stderr=stderr, exponent_lo=law.exponent - half,
                   exponent_hi=law.exponent + half, level=float(level))


def fit_power_law(x, L, *, irreducible: bool = False, E: float = 0.0,
                  what: str = "Kaplan power law") -> PowerLaw:
    """Fit L = E + (x_c / x)^alpha; E = 0 unless `irreducible` (E fitted) or given (E known).

    With E known (or 0) this is linear in log space: log(L - E) = alpha log x_c - alpha log x.
    With E fitted the fit minimises squared log residuals of L, started from E at several
    fractions of min(L) because the problem is not convex in E.
    """
    if E:
        if irreducible:
            raise FitInputError(f"{what}: E is either fitted (irreducible=True) or given, not both")
        x, L = positive_arrays(2, what, x=x, L=L)
        law = fit_power_law(x, _reducible(L, E, what), what=what)
        return replace(law, E=float(E))
    x, L = positive_arrays(3 if irreducible else 2, what, x=x, L=L)
    pure = fit_proportional(x, L, what)
    if pure.exponent >= 0:
        raise FitInputError(f"{what}: loss does not fall with x (log-log slope "
                            f"{pure.exponent:+.3g}); check the inputs")
    alpha0 = -pure.exponent
    x_c0 = pure.k ** (1.0 / alpha0)
    if not irreducible:
        return PowerLaw(x_c=x_c0, alpha=alpha0, E=0.0, rms_log_residual=pure.rms_log_residual,
                        n_points=x.size)
    lx, lL = np.log(x), np.log(L)
    Lmin = L.min()

    def resid(p):  # p = (log x_c, alpha, E / min L)
        return np.log(p[2] * Lmin + np.exp(p[1] * (p[0] - lx))) - lL

    best = None
    for frac in (0.0, 0.3, 0.6, 0.8, 0.9, 0.95):
        # Restart the reducible part from a fit of L - E so each start is self-consistent.
        red = fit_proportional(x, np.maximum(L - frac * Lmin, 1e-12 * Lmin), what)
        a0 = max(-red.exponent, 1e-3)
        p0 = [math.log(red.k) / a0, a0, frac]
        sol = least_squares(resid, p0, bounds=([-np.inf, 1e-6, 0.0], [np.inf, 10.0, 0.999999]))
        if best is None or sol.cost < best.cost:
            best = sol
    lxc, alpha, frac = best.x
    rms = float(np.sqrt(2 * best.cost / x.size))
    return PowerLaw(x_c=float(math.exp(lxc)), alpha=float(alpha), E=float(frac * Lmin),
                    rms_log_residual=rms, n_points=x.size)


def _reducible(L, E: float, what: str) -> np.ndarray:
    """L - E for a known irreducible loss E; one line naming the first loss at or below it."""
    red = np.asarray(L, dtype=float) - float(E)
    if np.any(red <= 0):
        i = int(np.flatnonzero(red <= 0)[0])
        raise FitInputError(f"{what}: loss {L[i]:.4g} at index {i} is at or below the known "
                            f"irreducible loss E = {E:.4g}; the reducible loss L - E must be > 0 "
                            f"(check the floor, or drop that point)")
    return red


# ---------------------------------------------------------------- joint L(N, D)

def kaplan_joint_loss(N, D, law: KaplanJointLaw = KAPLAN_2020_JOINT):
    N = np.asarray(N, dtype=float)
    D = np.asarray(D, dtype=float)
    return law.E + ((law.N_c / N) ** (law.alpha_N / law.alpha_D) + law.D_c / D) ** law.alpha_D


def fit_kaplan_joint(N, D, L, starts=None, E: float = 0.0) -> KaplanJointLaw:
    """Fit Eq. 1.5 to L - E by least squares on log(L - E), parameters (log N_c, log D_c,
    alpha_N, alpha_D); E = 0 is Kaplan's form, a known E (the corpus's floor) fits the reducible
    loss.

    `starts`: the initial parameter vectors; default an 18-start grid (N_c, D_c near the data or
    far above it, as in the paper). A bootstrap refit passes the full fit's optimum alone."""
    what = "Kaplan L(N, D)" if not E else "Kaplan L(N, D) - E"
    N, D, L = positive_arrays(4, what, N=N, D=D, L=L)
    if E:
        L = _reducible(L, E, what)
    lN, lD, lL = np.log(N), np.log(D), np.log(L)

    def resid(p):
        lNc, lDc, aN, aD = p
        t1 = (aN / aD) * (lNc - lN)
        t2 = lDc - lD
        return aD * np.logaddexp(t1, t2) - lL

    if starts is None:
        starts = [[lN.max() + scale, lD.max() + scale, aN0, aD0]
                  for aD0 in (0.05, 0.1, 0.3) for aN0 in (0.05, 0.1, 0.3) for scale in (0.0, 10.0)]
    best = None
    for p0 in starts:
        sol = least_squares(resid, p0, bounds=([-np.inf, -np.inf, 1e-4, 1e-4],
                                               [np.inf, np.inf, 5.0, 5.0]))
        if best is None or sol.cost < best.cost:
            best = sol
    lNc, lDc, aN, aD = best.x
    return KaplanJointLaw(N_c=float(math.exp(lNc)), D_c=float(math.exp(lDc)), alpha_N=float(aN),
                          alpha_D=float(aD), rms_log_residual=float(np.sqrt(2 * best.cost / N.size)),
                          n_points=N.size, source="fit", E=float(E))


# ---------------------------------------------------------------- learning curves L(N, S)

def learning_curve_loss(N, S, law: LearningCurveLaw):
    N = np.asarray(N, dtype=float)
    S = np.asarray(S, dtype=float)
    return (law.N_c / N) ** law.alpha_N + (law.S_c / S) ** law.alpha_S


def fit_learning_curves(N, S, L) -> LearningCurveLaw:
    """Fit Eq. 1.6 to (N, step, loss) rows from every run's learning curve, on log L."""
    N, S, L = positive_arrays(4, "Kaplan L(N, S)", N=N, S=S, L=L)
    lN, lS, lL = np.log(N), np.log(S), np.log(L)

    def resid(p):
        lNc, lSc, aN, aS = p
        return np.logaddexp(aN * (lNc - lN), aS * (lSc - lS)) - lL

    best = None
    for aN0 in (0.05, 0.2, 0.5):
        for aS0 in (0.1, 0.5, 1.0):
            p0 = [lN.max() + 2.0, lS.min(), aN0, aS0]
            sol = least_squares(resid, p0, bounds=([-np.inf, -np.inf, 1e-4, 1e-4],
                                                   [np.inf, np.inf, 5.0, 5.0]))
            if best is None or sol.cost < best.cost:
                best = sol
    lNc, lSc, aN, aS = best.x
    return LearningCurveLaw(N_c=float(math.exp(lNc)), S_c=float(math.exp(lSc)), alpha_N=float(aN),
                            alpha_S=float(aS), rms_log_residual=float(np.sqrt(2 * best.cost / N.size)),
                            n_points=N.size, source="fit")


# ---------------------------------------------------------------- compute-efficient frontier

def fit_compute_frontier(C, N_opt) -> ProportionalLaw:
    """N_opt = k C^x through the compute-efficient models (Kaplan et al. 2020, Eq. 1.7: x ≈ 0.73)."""
    return fit_proportional(C, N_opt, "compute-efficient frontier N_opt = k C^x")


def kaplan_optimal_params(C, frontier: ProportionalLaw):
    C = np.asarray(C, dtype=float)
    if np.any(~np.isfinite(C)) or np.any(C <= 0):
        raise FitInputError(f"compute must be finite and > 0 FLOPs, got {C}")
    return frontier.k * C ** frontier.exponent


def published_power_laws() -> dict[str, PowerLaw]:
    """Kaplan et al. 2020, Eqs. 1.1-1.3 as PowerLaw objects (C_min in PF-days)."""
    return {"N": PowerLaw(x_c=KAPLAN_2020["N_c"], alpha=KAPLAN_2020["alpha_N"]),
            "D": PowerLaw(x_c=KAPLAN_2020["D_c"], alpha=KAPLAN_2020["alpha_D"]),
            "C_pf_days": PowerLaw(x_c=KAPLAN_2020["C_c_pf_days"], alpha=KAPLAN_2020["alpha_C"])}
