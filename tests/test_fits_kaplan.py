"""Kaplan et al. 2020 fitters: Eq. 1.5 with Table 2 constants, and recovery of each law."""
from __future__ import annotations

import numpy as np
import pytest

from scalinglab.fits.checks import FitInputError
from scalinglab.fits.kaplan import (KAPLAN_2020_JOINT, KaplanJointLaw, LearningCurveLaw, PowerLaw,
                                    fit_compute_frontier, fit_kaplan_joint, fit_learning_curves,
                                    fit_power_law, kaplan_joint_loss, learning_curve_loss,
                                    power_law_loss)


def test_eq_1_5_with_table_2_constants():
    # N = 85M non-embedding parameters, D in tokens (Kaplan et al. 2020, Sec. 4).
    L = kaplan_joint_loss(85e6, np.array([9e6, 90e6, 9e9]), KAPLAN_2020_JOINT)
    assert L == pytest.approx([4.46, 3.55, 2.82], abs=0.006)


@pytest.mark.parametrize("irreducible", [False, True])
def test_power_law_recovery(irreducible):
    rng = np.random.default_rng(0)
    true = PowerLaw(x_c=8.8e13, alpha=0.076, E=1.2 if irreducible else 0.0)
    x = np.logspace(5, 9, 25)
    L = power_law_loss(x, true) * np.exp(rng.normal(0, 0.002, x.size))
    fit = fit_power_law(x, L, irreducible=irreducible)
    if irreducible:
        # With E the reducible part is small here: compare the law over the data, and E.
        assert fit.E == pytest.approx(1.2, abs=0.3)
        assert power_law_loss(x, fit) == pytest.approx(power_law_loss(x, true), rel=0.005)
    else:
        assert fit.alpha == pytest.approx(0.076, abs=0.005)
        assert np.log(fit.x_c) == pytest.approx(np.log(8.8e13), rel=0.05)


def test_power_law_with_irreducible_term_recovers_a_clear_floor():
    rng = np.random.default_rng(1)
    true = PowerLaw(x_c=1e8, alpha=0.3, E=1.5)
    x = np.logspace(6, 10, 30)
    fit = fit_power_law(x, power_law_loss(x, true) * np.exp(rng.normal(0, 0.003, x.size)),
                        irreducible=True)
    assert fit.E == pytest.approx(1.5, abs=0.05)
    assert fit.alpha == pytest.approx(0.3, abs=0.03)


def test_joint_law_recovery():
    rng = np.random.default_rng(2)
    true = KaplanJointLaw(N_c=6.4e13, D_c=1.8e13, alpha_N=0.076, alpha_D=0.103)
    N = np.repeat(np.logspace(6, 9, 6), 6)
    D = np.tile(np.logspace(7, 10.5, 6), 6)
    L = kaplan_joint_loss(N, D, true) * np.exp(rng.normal(0, 0.003, N.size))
    fit = fit_kaplan_joint(N, D, L)
    assert fit.alpha_N == pytest.approx(0.076, abs=0.01)
    assert fit.alpha_D == pytest.approx(0.103, abs=0.01)
    assert kaplan_joint_loss(1e10, 1e11, fit) == pytest.approx(kaplan_joint_loss(1e10, 1e11, true),
                                                               rel=0.03)


def test_joint_law_with_a_known_floor_recovers_the_reducible_exponents():
    """L = E + Eq. 1.5 with the quantization model's exponents for alpha = 0.5 (0.5, 1/3): with E
    known the fit of L - E recovers them; Eq. 1.5 on L itself (no E) cannot."""
    rng = np.random.default_rng(4)
    true = KaplanJointLaw(N_c=50.0, D_c=2e3, alpha_N=0.5, alpha_D=1 / 3, E=0.98)
    N = np.repeat(np.logspace(3, 5, 5), 4)
    D = np.tile(np.logspace(3.5, 6, 4), 5)
    L = kaplan_joint_loss(N, D, true) * np.exp(rng.normal(0, 0.002, N.size))
    fit = fit_kaplan_joint(N, D, L, E=0.98)
    assert fit.E == 0.98
    assert fit.alpha_N == pytest.approx(0.5, abs=0.03)
    assert fit.alpha_D == pytest.approx(1 / 3, abs=0.03)
    assert kaplan_joint_loss(N, D, fit) == pytest.approx(L, rel=0.01)
    blind = fit_kaplan_joint(N, D, L)
    assert blind.E == 0 and blind.alpha_N < 0.3
    with pytest.raises(FitInputError, match="at or below the known irreducible loss E = 1.2"):
        fit_kaplan_joint(N, D, L, E=1.2)


def test_power_law_with_a_known_floor():
    x = np.logspace(3, 5, 6)
    L = 0.98 + (40.0 / x) ** 0.5
    fit = fit_power_law(x, L, E=0.98)
    assert (fit.E, fit.n_points) == (0.98, 6)
    assert fit.alpha == pytest.approx(0.5, abs=1e-9) and fit.x_c == pytest.approx(40.0, rel=1e-9)
    assert power_law_loss(x, fit) == pytest.approx(L)
    with pytest.raises(FitInputError, match="either fitted"):
        fit_power_law(x, L, E=0.98, irreducible=True)
    with pytest.raises(FitInputError, match="at index 5 is at or below"):
        fit_power_law(x, L, E=float(L[-1]))


def test_learning_curve_recovery():
    rng = np.random.default_rng(3)
    true = LearningCurveLaw(N_c=6.5e13, S_c=2.1e3, alpha_N=0.077, alpha_S=0.76)
    N = np.repeat(np.logspace(6, 9, 5), 20)
    S = np.tile(np.logspace(3, 5, 20), 5)
    L = learning_curve_loss(N, S, true) * np.exp(rng.normal(0, 0.003, N.size))
    fit = fit_learning_curves(N, S, L)
    assert fit.alpha_N == pytest.approx(0.077, abs=0.01)
    assert fit.alpha_S == pytest.approx(0.76, abs=0.1)


def test_compute_frontier_recovers_exponent():
    C = np.logspace(15, 20, 12)
    fit = fit_compute_frontier(C, 1.3e9 * (C / 8.64e19) ** 0.73)
    assert fit.exponent == pytest.approx(0.73, abs=1e-9)


def test_bad_input():
    with pytest.raises(FitInputError, match="at least as many points as parameters"):
        fit_kaplan_joint([1e6, 1e7], [1e8, 1e9], [3, 2])
    with pytest.raises(FitInputError, match="does not fall"):
        fit_power_law([1e6, 1e7, 1e8], [2.0, 3.0, 4.0])
    with pytest.raises(FitInputError, match="NaN"):
        fit_learning_curves([1e6] * 6, [1, 2, 3, 4, 5, np.nan], [3.0] * 6)
