"""How parameters should grow with data: Niu et al.'s N = O(D²) beside Kaplan and Chinchilla.

* Niu et al. 2024 (Section 5, the main result): to memorise D well-separated patterns the model
  needs N = O(D²) parameters — a slope of 2 on log N against log D. The constant is not given,
  so the line is drawn through a shared anchor point and only its slope is meaningful.
* Kaplan et al. 2020, compute-efficient frontier (Section 6.1, Eq. 1.7 / Fig. 14):
  N ∝ C^x with x = 0.73; since C = 6ND, D ∝ C^(1−x) = C^0.27 (Kaplan's B ∝ C^0.24 times
  S ∝ C^0.03), so along the frontier N ∝ D^(x/(1−x)) ≈ D^2.7. Kaplan's overfitting condition (Eq. 4.4, D ≳ 5·10³ N^0.74, from
  the L(N, D) fit of Table 2: 0.74 = α_N/α_D) gives the other Kaplan reading, N ∝ D^(α_D/α_N) ≈ D^1.36.
* Hoffmann et al. 2022 (Chinchilla, Approach 3, Eq. 4): minimising E + A/N^α + B/D^β at
  C = 6ND gives N_opt = G (C/6)^a, D_opt = G⁻¹ (C/6)^b with a = β/(α+β), b = α/(α+β),
  G = (αA / (βB))^(1/(α+β)); hence N ∝ D^(β/α), close to the "≈ 20 tokens per parameter" rule.

All constants come from :mod:`scalinglab.fits.published`; Chinchilla's allocation is
:func:`scalinglab.fits.chinchilla.compute_optimal_allocation`.
"""
from __future__ import annotations

import numpy as np

from scalinglab.fits.chinchilla import allocation_exponents, compute_optimal_allocation
from scalinglab.fits.published import (BESIROGLU_2024, HOFFMANN_2022, KAPLAN_2020_FRONTIER, KAPLAN_2020_TABLE2,
                                       ChinchillaLaw)

NIU_2024_EXPONENT = 2.0  # N = O(D^2) for well-separated patterns (Niu et al. 2024, Section 5)


def kaplan_frontier_exponent() -> float:
    """Exponent k in N ∝ D^k along Kaplan's compute-efficient frontier (≈ 2.7)."""
    x = KAPLAN_2020_FRONTIER["exponent"]  # N ∝ C^x; D = C / (6N) ∝ C^(1-x)
    return x / (1.0 - x)


def kaplan_overfitting_exponent() -> float:
    """Exponent k in N ∝ D^k from Kaplan's overfitting rule D ≳ 5·10³ N^(α_N/α_D) (Eq. 4.4,
    Table 2 constants: α_N/α_D = 0.74)."""
    return KAPLAN_2020_TABLE2["alpha_D"] / KAPLAN_2020_TABLE2["alpha_N"]


def chinchilla_compute_optimal(compute, law: ChinchillaLaw = HOFFMANN_2022):
    """(N_opt, D_opt) at training compute C (FLOPs), Hoffmann et al. 2022 Eq. 4 with C = 6ND."""
    return compute_optimal_allocation(compute, law)


def chinchilla_exponent(law: ChinchillaLaw = HOFFMANN_2022) -> float:
    """Exponent k in N ∝ D^k along Chinchilla's compute-optimal frontier: a/b = β/α."""
    a, b = allocation_exponents(law)
    return a / b


def power_line(D, exponent: float, anchor_N: float, anchor_D: float) -> np.ndarray:
    """N = anchor_N · (D / anchor_D)^exponent: a line of the given slope through the anchor."""
    return anchor_N * (np.asarray(D, dtype=np.float64) / anchor_D) ** exponent


def allocation_curves(D, anchor_compute: float,
                      laws: tuple[ChinchillaLaw, ...] = (BESIROGLU_2024, HOFFMANN_2022)) -> dict:
    """N(D) for each allocation rule: {"curves": {label: (exponent, N array)}, "anchor": (N0, D0),
    "tokens_per_parameter": {law source: D_opt/N_opt at anchor_compute}}.

    Every line passes through the compute-optimal point of ``laws[0]`` at `anchor_compute`
    (only the slopes carry information: N = O(D²) has no published constant). The Chinchilla
    lines are exact (N_opt and D_opt are both power laws of C) and each keeps its own anchor.
    """
    N0, D0 = (float(v) for v in chinchilla_compute_optimal(anchor_compute, laws[0]))
    D = np.asarray(D, dtype=np.float64)
    curves = {
        "Niu et al. 2024: N = O(D²)": (NIU_2024_EXPONENT, power_line(D, NIU_2024_EXPONENT, N0, D0)),
        "Kaplan et al. 2020: compute-efficient frontier":
            (kaplan_frontier_exponent(), power_line(D, kaplan_frontier_exponent(), N0, D0)),
        "Kaplan et al. 2020: overfitting rule (Eq. 4.4)":
            (kaplan_overfitting_exponent(), power_line(D, kaplan_overfitting_exponent(), N0, D0)),
    }
    ratios = {}
    for law in laws:
        N1, D1 = (float(v) for v in chinchilla_compute_optimal(anchor_compute, law))
        curves[f"Chinchilla ({law.source})"] = (chinchilla_exponent(law),
                                                power_line(D, chinchilla_exponent(law), N1, D1))
        ratios[law.source] = D1 / N1
    return {"curves": curves, "anchor": (N0, D0), "tokens_per_parameter": ratios}
