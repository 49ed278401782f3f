"""Allocation rules of figure 5: exponents derived from the published constants."""
import numpy as np
import pytest

from scalinglab.fits.published import BESIROGLU_2024, HOFFMANN_2022, KAPLAN_2020_FRONTIER, KAPLAN_2020_TABLE2
from scalinglab.memory.allocation import (allocation_curves, chinchilla_compute_optimal, chinchilla_exponent,
                                          kaplan_frontier_exponent, kaplan_overfitting_exponent)


def test_kaplan_exponents():
    x = KAPLAN_2020_FRONTIER["exponent"]
    assert kaplan_frontier_exponent() == pytest.approx(x / (1 - x)) == pytest.approx(2.7, abs=0.01)
    assert kaplan_overfitting_exponent() == pytest.approx(KAPLAN_2020_TABLE2["alpha_D"] / KAPLAN_2020_TABLE2["alpha_N"])


def test_chinchilla_optimum_spends_the_budget_and_minimises_loss():
    C = 5.76e23
    N, D = chinchilla_compute_optimal(C, HOFFMANN_2022)
    assert 6 * N * D == pytest.approx(C)
    law = HOFFMANN_2022
    loss = lambda n: law.E + law.A / n ** law.alpha + law.B / (C / (6 * n)) ** law.beta
    assert loss(N) < loss(N * 1.1) and loss(N) < loss(N / 1.1)
    # slope of N_opt against D_opt across compute is beta / alpha
    N2, D2 = chinchilla_compute_optimal(C * 100, HOFFMANN_2022)
    assert np.log(N2 / N) / np.log(D2 / D) == pytest.approx(chinchilla_exponent(HOFFMANN_2022))


def test_besiroglu_near_twenty_tokens_per_parameter():
    N, D = chinchilla_compute_optimal(5.76e23, BESIROGLU_2024)
    assert 10 < D / N < 30


def test_curves_share_the_anchor_and_have_their_slopes():
    D = np.geomspace(1e8, 1e14, 50)
    r = allocation_curves(D, 1e22)
    N0, D0 = r["anchor"]
    for label, (k, N) in r["curves"].items():
        slope = np.polyfit(np.log(D), np.log(N), 1)[0]
        assert slope == pytest.approx(k)
    niu = r["curves"]["Niu et al. 2024: N = O(D²)"][1]
    assert np.interp(np.log(D0), np.log(D), np.log(niu)) == pytest.approx(np.log(N0), rel=1e-6)


def test_bad_compute():
    with pytest.raises(ValueError, match="compute must be finite and > 0"):
        chinchilla_compute_optimal(-1.0)
