"""Hoffmann et al. 2022 Approach 2 (Sec. 3.2): IsoFLOP profiles.

For each FLOP budget, final loss against log N is fitted with a parabola; its vertex is the
compute-optimal N for that budget, D_opt = C / (6 N_opt); power laws go through the vertices.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from ..intervals import central_interval
from .checks import FitInputError, positive_arrays
from .chinchilla import FLOPS_PER_PARAM_TOKEN
from .kaplan import ProportionalLaw, fit_proportional

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IsoFlopProfile:
    """One budget's parabola L = c0 + c1 x + c2 x^2 with x = log10 N, and its vertex."""

    C: float
    coeffs: tuple[float, float, float]  # (c0, c1, c2)
    N_opt: float
    D_opt: float
    loss_opt: float
    n_models: int
    vertex_inside: bool  # the vertex lies within the sampled model sizes (not extrapolated)
    bracketed: bool = True  # the lowest measured loss is at an interior size, not the ladder's end

    @property
    def reliable(self) -> bool:
        """Both checks pass: the optimum is measured, not extrapolated past the ladder."""
        return self.vertex_inside and self.bracketed


@dataclass
class Approach2Fit:
    profiles: list[IsoFlopProfile]
    N_law: ProportionalLaw  # N_opt = k C^a
    D_law: ProportionalLaw  # D_opt = k C^b
    skipped: list[str] = field(default_factory=list)  # budgets left out, and why
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    level: float = 0.8

    def interval(self, name: str) -> tuple[float, float]:
        return central_interval(self.samples[name], self.level)


def fit_isoflop_profile(C: float, N, L) -> IsoFlopProfile:
    """Parabola in log10 N through one budget's final losses; raises if it opens downwards."""
    N, L = positive_arrays(3, f"IsoFLOP profile at C={C:.3g}", N=N, L=L)
    if np.unique(N).size < 3:
        raise FitInputError(f"IsoFLOP profile at C={C:.3g}: {np.unique(N).size} distinct model "
                            f"size(s); a parabola needs at least 3")
    x = np.log10(N)
    c2, c1, c0 = np.polyfit(x, L, 2)
    if not c2 > 0:
        raise FitInputError(f"IsoFLOP profile at C={C:.3g}: the parabola opens downwards "
                            f"(curvature {c2:.3g}); widen the model range around the optimum")
    x_opt = -c1 / (2 * c2)
    N_opt = 10 ** x_opt
    # A vertex can sit just inside the range while the data only fall towards one end; the
    # optimum is bracketed when some sampled size on each side of the best one does worse.
    best = x[np.argmin(L)]
    return IsoFlopProfile(C=float(C), coeffs=(float(c0), float(c1), float(c2)), N_opt=float(N_opt),
                          D_opt=float(C / (FLOPS_PER_PARAM_TOKEN * N_opt)),
                          loss_opt=float(c0 + c1 * x_opt + c2 * x_opt ** 2), n_models=N.size,
                          vertex_inside=bool(x.min() <= x_opt <= x.max()),
                          bracketed=bool(x.min() < best < x.max()))


def fit_chinchilla_approach2(C, N, L, *, n_boot: int = 200, seed: int = 0, level: float = 0.8
                             ) -> Approach2Fit:
    """Approach 2 on rows (budget C, parameters N, final loss L).

    Budgets whose parabola opens downwards are skipped (named in `skipped`); at least two
    budgets must remain. Intervals: resample models within each budget, refit everything.
    """
    C, N, L = positive_arrays(0, "Chinchilla Approach 2", C=C, N=N, L=L)
    budgets = np.unique(C)
    profiles, skipped = [], []
    for c in budgets:
        m = C == c
        try:
            profiles.append(fit_isoflop_profile(c, N[m], L[m]))
        except FitInputError as err:
            skipped.append(str(err))
            log.warning("%s", err)
    if len(profiles) < 2:
        raise FitInputError(f"Chinchilla Approach 2: {len(profiles)} usable IsoFLOP budget(s) "
                            f"of {budgets.size}; need at least 2 ({'; '.join(skipped)[:200]})")
    Cs = np.array([p.C for p in profiles])
    N_law = fit_proportional(Cs, [p.N_opt for p in profiles], "Approach 2 N_opt = k C^a")
    D_law = fit_proportional(Cs, [p.D_opt for p in profiles], "Approach 2 D_opt = k C^b")

    rng = np.random.default_rng(seed)
    a_s, b_s = [], []
    for _ in range(n_boot):
        opts = []
        for p in profiles:
            m = np.flatnonzero(C == p.C)
            pick = m[rng.integers(0, m.size, m.size)]
            try:
                opts.append(fit_isoflop_profile(p.C, N[pick], L[pick]))
            except FitInputError:
                pass
        if len(opts) >= 2:
            cs = [o.C for o in opts]
            try:
                a = fit_proportional(cs, [o.N_opt for o in opts]).exponent
                b = fit_proportional(cs, [o.D_opt for o in opts]).exponent
            except FitInputError:  # a replicate's vertex far outside the ladder: no estimate
                continue
            a_s.append(a)
            b_s.append(b)
    return Approach2Fit(profiles=profiles, N_law=N_law, D_law=D_law, skipped=skipped,
                        samples={"a": np.array(a_s), "b": np.array(b_s)}, level=level)
