"""Energy functions of Niu et al. 2024 Fig. 1 against hand-computed values and their defining properties."""
import math

import numpy as np
import pytest
from scipy.optimize import minimize

from scalinglab.memory import energy as en

P = np.array(en.NIU_FIGURE1_PATTERNS)


def test_neg_lse_hand_values():
    assert en.neg_lse_energy([0.0, 0.0], P) == pytest.approx(-math.log(3))
    # x = (1, 0): ξᵀx = -2, 0.2, 1.5; β = 2 -> -(1/2) log Σ exp(2 ξᵀx)
    expect = -0.5 * math.log(math.exp(-4) + math.exp(0.4) + math.exp(3.0))
    assert en.neg_lse_energy([1.0, 0.0], P, beta=2.0) == pytest.approx(expect)


def test_hopfield_hand_values():
    # at x = 0: -log 3 + 0 + log 3 + M²/2 with M² = max(4.25, 0.13, 4.5) = 4.5
    assert en.hopfield_energy([0.0, 0.0], P) == pytest.approx(2.25)
    x = np.array([1.0, -1.0])
    expect = (-math.log(math.exp(-1.5) + math.exp(0.5) + math.exp(0.0)) + 1.0 + math.log(3) + 2.25)
    assert en.hopfield_energy(x, P) == pytest.approx(expect)


def test_distance_energy_hand_values():
    expect = -math.log(math.exp(-4.25) + math.exp(-0.13) + math.exp(-4.5))
    assert en.distance_energy([0.0, 0.0], P) == pytest.approx(expect)
    # one pattern: exactly the squared distance
    assert en.distance_energy([3.0, 4.0], [[0.0, 0.0]]) == pytest.approx(25.0)


def test_grid_shapes_and_vectorisation():
    X, Y, E = en.energy_grid(en.distance_energy, extent=2, resolution=17, patterns=P)
    assert X.shape == Y.shape == E.shape == (17, 17)
    assert E[3, 5] == pytest.approx(en.distance_energy([X[3, 5], Y[3, 5]], P))


@pytest.mark.parametrize("k", range(3))
def test_distance_energy_minima_near_the_patterns(k):
    res = minimize(lambda x: float(en.distance_energy(x, P)), P[k] + 0.3, method="BFGS")
    assert np.linalg.norm(res.x - P[k]) < 0.05
    # and the energy there is below its value half-way to any other pattern
    for j in range(3):
        if j != k:
            assert res.fun < en.distance_energy((P[k] + P[j]) / 2, P)


def test_neg_lse_has_no_minimum_at_patterns():
    """Without the regulariser, -lse decreases without bound along the largest pattern (Fig. 1a)."""
    assert en.neg_lse_energy(10 * P[2], P) < en.neg_lse_energy(P[2], P) - 10


def test_majorizer_bounds_energy_and_touches_at_anchor():
    rng = np.random.default_rng(0)
    for anchor in rng.uniform(-3, 3, size=(10, 2)):
        xs = rng.uniform(-3, 3, size=(200, 2))
        assert np.all(en.distance_energy_majorizer(xs, anchor, P) >= en.distance_energy(xs, P) - 1e-9)
        assert en.distance_energy_majorizer(anchor, anchor, P) == pytest.approx(en.distance_energy(anchor, P))


def test_mm_steps_never_increase_global_energy():
    layers = [P, -P]
    for start in [(-2.5, 2.5), (2.5, -2.5), (0.0, 2.8), (3.0, 3.0)]:
        path = en.mm_trajectory(start, layers, steps=30)
        energies = en.layered_global_energy(path, layers)
        assert np.all(np.diff(energies) <= 1e-12)
        assert energies[-1] < energies[0]


def test_layered_energy_single_layer_is_distance_energy():
    xs = np.random.default_rng(1).normal(size=(20, 2))
    np.testing.assert_allclose(en.layered_global_energy(xs, [P]), en.distance_energy(xs, P))


def test_dimension_mismatch_and_empty_patterns():
    with pytest.raises(ValueError, match="points have dimension 3 but patterns 2"):
        en.distance_energy([0.0, 0.0, 0.0], P)
    with pytest.raises(ValueError, match="non-empty"):
        en.neg_lse_energy([0.0, 0.0], np.zeros((0, 2)))
    with pytest.raises(ValueError, match="at least one layer"):
        en.layered_global_energy([0.0, 0.0], [])
