"""Published constants, kept beside the fits so every table can show fitted against published.

Units: N in parameters, D in tokens, L in nats per token, C in FLOPs unless named otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChinchillaLaw:
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, Eq. 2)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str = ""


# Hoffmann et al. 2022, Approach 3 (Section 3.3, Eq. 10).
HOFFMANN_2022 = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28,
                              source="Hoffmann et al. 2022, Approach 3")
# Besiroglu et al. 2024 ("Chinchilla Scaling: A replication attempt"), refit on Figure 4's points.
BESIROGLU_2024 = ChinchillaLaw(E=1.82, A=482.0, B=2085.0, alpha=0.348, beta=0.366,
                               source="Besiroglu et al. 2024, replication refit")
BESIROGLU_2024_E_PRECISE = 1.817

# Kaplan et al. 2020, Section 1.2 (Eqs. 1.1-1.3): L(X) = (X_c / X)^alpha_X.
KAPLAN_2020 = {
    "alpha_N": 0.076, "N_c": 8.8e13,        # non-embedding parameters
    "alpha_D": 0.095, "D_c": 5.4e13,        # tokens
    "alpha_C": 0.050, "C_c_pf_days": 3.1e8,  # C_min in PF-days
}
# Kaplan et al. 2020, Table 2: the joint fit L(N, D), Eq. 1.5.
KAPLAN_2020_TABLE2 = {"alpha_N": 0.076, "alpha_D": 0.103, "N_c": 6.4e13, "D_c": 1.8e13}

PF_DAY_FLOPS = 1e15 * 24 * 3600  # one petaflop/s-day in FLOPs

# Kaplan et al. 2020, Table 3: learning curves L(N, S_min), Eq. 1.6 (S in optimiser steps).
KAPLAN_2020_LEARNING_CURVES = {"alpha_N": 0.077, "alpha_S": 0.76, "N_c": 6.5e13, "S_c": 2.1e3}
# Kaplan et al. 2020, Eq. 1.7 and Sec. 6.1: compute-efficient N_opt = k (C_min / PF-day)^x.
KAPLAN_2020_FRONTIER = {"exponent": 0.73, "k_params_per_pf_day": 1.3e9}

# Hoffmann et al. 2022, Table 2: N_opt ∝ C^a and D_opt ∝ C^b from each approach.
HOFFMANN_2022_EXPONENTS = {
    "Approach 1": {"a": 0.50, "b": 0.50},
    "Approach 2": {"a": 0.49, "b": 0.51},
    "Approach 3": {"a": 0.46, "b": 0.54},
}
