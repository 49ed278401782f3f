"""The cross-entropy lower bound of Niu et al. 2024 §5 (our reconstruction, see its docstring)."""
import math

import numpy as np
import pytest
from scipy import integrate

from scalinglab.memory.bound import (basin_log_partition, basin_mean_energy,
                                     cross_entropy_lower_bound)


def test_bound_under_the_papers_conditions_is_about_one_nat():
    # well-separated limit, ln d << n: 1/2 ln(pi e) = 1.0724 nats
    assert cross_entropy_lower_bound(768, 1) == pytest.approx(0.5 * math.log(math.pi * math.e))
    assert cross_entropy_lower_bound(768, 1) == pytest.approx(1.0724, abs=1e-4)
    # the question-formation corpus: d = 2M tokens, GPT-2 width
    assert cross_entropy_lower_bound(768, 2e6) == pytest.approx(1.0913, abs=1e-4)
    assert 1.0 < cross_entropy_lower_bound(1024, 2e6) < 1.1


def test_bound_grows_with_patterns_and_shrinks_with_radius():
    assert cross_entropy_lower_bound(64, 1e6) > cross_entropy_lower_bound(64, 1e3)
    assert cross_entropy_lower_bound(64, 1e3, radius=2.0) < cross_entropy_lower_bound(64, 1e3)
    # a huge radius is the untruncated limit
    assert cross_entropy_lower_bound(16, 10, radius=50.0) == pytest.approx(
        cross_entropy_lower_bound(16, 10), rel=1e-9)


@pytest.mark.parametrize("n, r", [(1, 0.7), (2, 1.3), (3, 0.9)])
def test_incomplete_gamma_terms_match_direct_integration(n, r):
    # radial integrals: surface area S_{n-1} = 2 pi^{n/2} / Gamma(n/2)
    area = 2 * math.pi ** (n / 2) / math.gamma(n / 2)
    z = integrate.quad(lambda s: area * s ** (n - 1) * math.exp(-s * s), 0, r)[0]
    m = integrate.quad(lambda s: area * s ** (n + 1) * math.exp(-s * s), 0, r)[0] / z
    assert basin_log_partition(n, r) == pytest.approx(math.log(z), rel=1e-8)
    assert basin_mean_energy(n, r) == pytest.approx(m, rel=1e-8)


def test_total_is_entropy_of_the_basin_mixture():
    # d well-separated 1-D Gaussians exp(-x^2)/sqrt(pi): entropy ln d + 1/2 ln(pi e)
    d = 5
    assert cross_entropy_lower_bound(1, d, per_dimension=False) == pytest.approx(
        math.log(d) + 0.5 * math.log(math.pi * math.e))
    xs = np.linspace(-6, 6, 20001)
    p = np.exp(-xs ** 2) / math.sqrt(math.pi)
    assert float(np.trapezoid(-p * np.log(p), xs)) == pytest.approx(0.5 * math.log(math.pi * math.e), rel=1e-6)


@pytest.mark.parametrize("args, needle", [((0, 10), "n_embd"), ((8, 0), "num_patterns"),
                                          ((8, 10, -1.0), "radius")])
def test_bad_arguments(args, needle):
    with pytest.raises(ValueError, match=needle):
        cross_entropy_lower_bound(*args)
