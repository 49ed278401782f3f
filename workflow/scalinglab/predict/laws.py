"""Scaling laws as the planner uses them: a compute-optimal allocation and a predicted loss.

Every set of constants (Kaplan's, Hoffmann's published, the replication's refit, the pipeline's
own fits) reduces to the same two things under C = 6 N D:

    N_opt(C) = k C^a,    D_opt(C) = C / (6 N_opt(C)),    L(N, D) (if the source gives one).

Which N: Kaplan et al. 2020 count non-embedding parameters, Hoffmann et al. 2022 all parameters;
a plan reports each law in its own convention (the planner's table says so).

Hoffmann et al. 2022 Approaches 1 and 2 publish exponents only (Table 2 of this module's
docstring below), not coefficients. The coefficients here are derived from published rows:
- Approach 1: a = 0.50 (Table 2), k by least squares of log N - a log C over the nine rows of
  Table 3 (which are Approach 1's projections). Table 3 itself implies a = 0.498 (the
  tokens-per-parameter ratio creeps from 20.0 to 21.6 across its rows), which rounds to 0.50.
- Approach 2: a = 0.49 (Table 2), k through the Gopher-budget projection of Figure 3
  (63B parameters at 5.76e23 FLOPs).
Approach 3's coefficient follows from its fitted law in closed form (Eq. 4):
G = (alpha A / (beta B))^(1/(alpha+beta)), N_opt = G (C/6)^a with a = beta / (alpha + beta).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..fits.chinchilla import (FLOPS_PER_PARAM_TOKEN, allocation_coefficient,
                               allocation_exponents, chinchilla_loss)
from ..fits.kaplan import KAPLAN_2020_JOINT, KaplanJointLaw, fit_proportional, kaplan_joint_loss
from ..fits.published import (BESIROGLU_2024, HOFFMANN_2022, HOFFMANN_2022_EXPONENTS,
                              KAPLAN_2020_FRONTIER, PF_DAY_FLOPS, ChinchillaLaw)

# Hoffmann et al. 2022, Table 3 (Approach 1): (parameters, FLOPs, tokens). The 67B row is Gopher's
# budget; its 1.5T tokens is rounded up in the paper (6 N D gives 1.43T at 67B and 5.76e23).
CHINCHILLA_TABLE3 = (
    (400e6, 1.92e19, 8.0e9),
    (1e9, 1.21e20, 20.2e9),
    (10e9, 1.23e22, 205.1e9),
    (67e9, 5.76e23, 1.5e12),
    (175e9, 3.85e24, 3.7e12),
    (280e9, 9.90e24, 5.9e12),
    (520e9, 3.43e25, 11.0e12),
    (1e12, 1.27e26, 21.2e12),
    (10e12, 1.30e28, 216.2e12),
)
GOPHER_FLOPS = 5.76e23  # Hoffmann et al. 2022, Table 3's unit ("FLOPs in Gopher unit")
# Hoffmann et al. 2022, Table 2: published allocation exponents (a: N_opt ∝ C^a).
APPROACH1_A = HOFFMANN_2022_EXPONENTS["Approach 1"]["a"]
APPROACH2_A = HOFFMANN_2022_EXPONENTS["Approach 2"]["a"]
APPROACH2_GOPHER_PARAMS = 63e9  # Figure 3: Approach 2's projection at Gopher's budget


@dataclass(frozen=True)
class PlanningLaw:
    """N_opt = coefficient * C^a (C in FLOPs), D_opt = C / (6 N_opt), and optionally L(N, D)."""

    name: str
    source: str
    a: float
    coefficient: float
    loss_fn: Callable | None = field(default=None, compare=False, repr=False)
    params_convention: str = "all parameters"
    note: str = ""

    def allocate(self, flops):
        """(N_opt, D_opt) at training compute `flops`."""
        C = np.asarray(flops, dtype=float)
        N = self.coefficient * C ** self.a
        return N, C / (FLOPS_PER_PARAM_TOKEN * N)

    def compute_for_params(self, params):
        """The compute at which `params` is the optimal model size (inverse of N_opt(C))."""
        return (np.asarray(params, dtype=float) / self.coefficient) ** (1.0 / self.a)

    def compute_for_tokens(self, tokens):
        """The compute at which `tokens` is the optimal data: D = C^(1-a) / (6 k)."""
        D = np.asarray(tokens, dtype=float)
        return (FLOPS_PER_PARAM_TOKEN * self.coefficient * D) ** (1.0 / (1.0 - self.a))

    def tokens_for_params(self, params):
        """Compute-optimal tokens for a model of `params` parameters."""
        return self.allocate(self.compute_for_params(params))[1]

    def params_for_tokens(self, tokens):
        """Compute-optimal model size for `tokens` training tokens."""
        return self.allocate(self.compute_for_tokens(tokens))[0]

    @property
    def has_loss(self) -> bool:
        return self.loss_fn is not None

    def loss(self, params, tokens):
        """Predicted loss L(N, D), NaN where the source gives allocations only."""
        if self.loss_fn is None:
            return np.full(np.broadcast(np.asarray(params), np.asarray(tokens)).shape, np.nan)
        return self.loss_fn(np.asarray(params, dtype=float), np.asarray(tokens, dtype=float))


def from_chinchilla(law: ChinchillaLaw, name: str, note: str = "") -> PlanningLaw:
    """Closed-form allocation of L = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, Eq. 4)."""
    a, _ = allocation_exponents(law)
    G = allocation_coefficient(law)
    # N_opt = G (C/6)^a  ->  coefficient = G 6^-a
    return PlanningLaw(name=name, source=law.source or name, a=a,
                       coefficient=G * FLOPS_PER_PARAM_TOKEN ** -a,
                       loss_fn=lambda N, D: chinchilla_loss(N, D, law), note=note)


def from_kaplan_joint(law: KaplanJointLaw, name: str, source: str = "",
                      note: str = "") -> PlanningLaw:
    """Allocation that minimises Kaplan's Eq. 1.5 along C = 6 N D.

    With p = alpha_N / alpha_D, d/dN [(N_c/N)^p + 6 D_c N / C] = 0 gives
    N_opt = (p N_c^p C / (6 D_c))^(1/(p+1)).
    """
    p = law.alpha_N / law.alpha_D
    a = 1.0 / (p + 1.0)
    coeff = (p * law.N_c ** p / (FLOPS_PER_PARAM_TOKEN * law.D_c)) ** a
    return PlanningLaw(name=name, source=source or law.source or name, a=a, coefficient=coeff,
                       loss_fn=lambda N, D: kaplan_joint_loss(N, D, law),
                       params_convention="non-embedding parameters", note=note)


def coefficient_from_rows(a: float, params, flops) -> float:
    """k in N = k C^a by least squares in log space over published (N, C) rows (the slope fixed)."""
    return fit_proportional(flops, params, "N = k C^a over published rows", exponent=a).k


def hoffmann_approach1() -> PlanningLaw:
    N, C, _ = zip(*CHINCHILLA_TABLE3)
    return PlanningLaw(name="Hoffmann A1", source="Hoffmann et al. 2022, Approach 1 (Table 3)",
                       a=APPROACH1_A, coefficient=coefficient_from_rows(APPROACH1_A, N, C),
                       note="allocation only; coefficient from Table 3's rows")


def hoffmann_approach2() -> PlanningLaw:
    k = coefficient_from_rows(APPROACH2_A, [APPROACH2_GOPHER_PARAMS], [GOPHER_FLOPS])
    return PlanningLaw(name="Hoffmann A2", source="Hoffmann et al. 2022, Approach 2 (Fig. 3)",
                       a=APPROACH2_A, coefficient=k,
                       note="allocation only; coefficient from Fig. 3's Gopher-budget point")


def kaplan_published() -> PlanningLaw:
    """Kaplan's compute-efficient frontier (Fig. 14) for allocation, Eq. 1.5 / Table 2 for loss."""
    # Kaplan et al. 2020, Sec. 6.1: N_opt = 1.3e9 (C_min / PF-day)^0.73 non-embedding parameters.
    x = KAPLAN_2020_FRONTIER["exponent"]
    k = KAPLAN_2020_FRONTIER["k_params_per_pf_day"] * PF_DAY_FLOPS ** -x
    return PlanningLaw(
        name="Kaplan 2020", source="Kaplan et al. 2020, Fig. 14 frontier + Eq. 1.5 (Table 2)",
        a=x, coefficient=k,
        loss_fn=lambda N, D: kaplan_joint_loss(N, D, KAPLAN_2020_JOINT),
        params_convention="non-embedding parameters",
        note="loss in nats on WebText2 (GPT-2 tokenizer), not MassiveText")


def published_laws() -> list[PlanningLaw]:
    """Every published set of constants the planner knows, in the order the table shows them."""
    return [
        kaplan_published(),
        hoffmann_approach1(),
        hoffmann_approach2(),
        from_chinchilla(HOFFMANN_2022, "Hoffmann A3"),
        from_chinchilla(BESIROGLU_2024, "Besiroglu refit"),
    ]
