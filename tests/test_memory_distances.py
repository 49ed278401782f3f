"""Exact nearest-neighbour search against brute force; radius formulas; summaries; bad inputs."""
import math

import numpy as np
import pytest
import torch

from scalinglab.memory.distances import histogram_table, nearest_neighbours, summary_statistics
from scalinglab.memory.radius import theoretical_radius, unit_ball_radius


def brute_force(q, m):
    d = torch.cdist(torch.as_tensor(q, dtype=torch.float64), torch.as_tensor(m, dtype=torch.float64))
    val, idx = d.min(dim=1)
    return val.numpy(), idx.numpy()


@pytest.mark.parametrize("Q,M,n,chunk,qchunk", [
    (37, 101, 16, 10, 8),     # many memory and query chunks, ragged last chunk
    (20, 64, 8, 64, 20),      # chunk == M, qchunk == Q (exact boundaries)
    (5, 65, 3, 64, 4),        # one memory left over in a second chunk
    (50, 7, 32, 1000, 1000),  # chunk larger than M
    (1, 1, 1, 1, 1),
])
def test_nearest_equals_brute_force(Q, M, n, chunk, qchunk):
    rng = np.random.default_rng(Q * 1000 + M)
    q = rng.normal(size=(Q, n)).astype(np.float32)
    m = rng.normal(size=(M, n)).astype(np.float32)
    d, idx = nearest_neighbours(q, m, chunk_size=chunk, query_chunk=qchunk, device="cpu")
    d_ref, idx_ref = brute_force(q, m)
    np.testing.assert_allclose(d, d_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(idx, idx_ref)


def test_nearest_large_norms_exact_distance():
    """Far from the origin the ‖q‖²+‖m‖²−2q·m expansion loses digits; the winner's distance is
    recomputed directly, so small distances stay exact."""
    rng = np.random.default_rng(0)
    centre = 300.0 * np.ones(64)
    m = (centre + rng.normal(size=(200, 64))).astype(np.float32)
    q = (m[:30] + 0.01 * rng.normal(size=(30, 64))).astype(np.float32)
    d, idx = nearest_neighbours(q, m, chunk_size=33, query_chunk=7, device="cpu")
    d_ref, idx_ref = brute_force(q, m)
    np.testing.assert_array_equal(idx, idx_ref)
    np.testing.assert_allclose(d, d_ref, rtol=1e-6)


def test_memmap_memories(tmp_path):
    rng = np.random.default_rng(1)
    m = rng.normal(size=(90, 12)).astype(np.float32)
    np.save(tmp_path / "m.npy", m)
    q = rng.normal(size=(11, 12)).astype(np.float32)
    d, idx = nearest_neighbours(q, np.load(tmp_path / "m.npy", mmap_mode="r"), chunk_size=16, device="cpu")
    np.testing.assert_allclose(d, brute_force(q, m)[0], rtol=1e-6, atol=1e-6)


def test_query_is_memory_gives_zero():
    m = np.random.default_rng(2).normal(size=(40, 10)).astype(np.float32)
    d, idx = nearest_neighbours(m[[3, 17]], m, chunk_size=9, device="cpu")
    np.testing.assert_array_equal(idx, [3, 17])
    np.testing.assert_allclose(d, 0.0, atol=1e-6)


@pytest.mark.parametrize("n,approx,exact", [(768, 6.71, 6.74), (1024, 7.74, 7.77)])
def test_radius_values_from_the_issue(n, approx, exact):
    assert theoretical_radius(n) == pytest.approx(approx, abs=0.005)
    assert unit_ball_radius(n) == pytest.approx(exact, abs=0.005)


def test_unit_ball_radius_small_dimensions():
    assert unit_ball_radius(1) == pytest.approx(0.5)  # a segment of length 1
    assert unit_ball_radius(2) == pytest.approx(1 / math.sqrt(math.pi))  # disc of area 1
    assert unit_ball_radius(3) == pytest.approx((3 / (4 * math.pi)) ** (1 / 3))
    # Stirling: the two radii agree to leading order as n grows
    assert unit_ball_radius(10**6) / theoretical_radius(10**6) == pytest.approx(1, abs=1e-4)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_radius_rejects_bad_dimension(bad):
    with pytest.raises(ValueError, match="positive integer"):
        unit_ball_radius(bad)


def test_width_mismatch_is_one_line_error():
    with pytest.raises(ValueError, match=r"width mismatch: queries have n=8 but memories n=9") as e:
        nearest_neighbours(np.zeros((2, 8)), np.zeros((3, 9)), device="cpu")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("q,m,msg", [
    (np.zeros((0, 4)), np.zeros((3, 4)), "queries is empty"),
    (np.zeros((2, 4)), np.zeros(4), "memories must be a 2-D array"),
])
def test_bad_shapes(q, m, msg):
    with pytest.raises(ValueError, match=msg):
        nearest_neighbours(q, m, device="cpu")


def test_bad_chunk_size():
    with pytest.raises(ValueError, match="memory.chunk_size=0"):
        nearest_neighbours(np.zeros((2, 4)), np.zeros((3, 4)), chunk_size=0, device="cpu")


def test_histogram_and_summary():
    d = np.random.default_rng(3).uniform(5, 9, size=1000)
    table = histogram_table(d, bins=20)
    assert table["count"].sum() == 1000 and len(table) == 20
    assert np.sum(table["density"] * (table["bin_right"] - table["bin_left"])) == pytest.approx(1.0)
    s = summary_statistics(d, 768)
    assert s["radius_unit_ball"] == pytest.approx(unit_ball_radius(768))
    assert s["fraction_below_radius"] == pytest.approx(np.mean(d < unit_ball_radius(768)))
    assert s["quantiles"]["q50"] == pytest.approx(np.median(d))


def test_tensor_memories_path():
    """Resident tensors (the GPU path) give the same answer as numpy inputs."""
    rng = np.random.default_rng(4)
    q = rng.normal(size=(13, 6)).astype(np.float32)
    m = rng.normal(size=(70, 6)).astype(np.float32)
    d_t, i_t = nearest_neighbours(torch.from_numpy(q), torch.from_numpy(m), chunk_size=9, query_chunk=5, device="cpu")
    d_n, i_n = nearest_neighbours(q, m, chunk_size=9, query_chunk=5, device="cpu")
    np.testing.assert_array_equal(i_t, i_n)
    np.testing.assert_allclose(d_t, d_n, rtol=1e-12)


def test_state_scale_reports_the_gain_and_near_copies():
    """States of a LayerNorm with gain g have norm g sqrt(n): the scale sqrt(n/(2 pi e)) is read
    in; queries that repeat a memory are near-copies."""
    from scalinglab.memory.distances import state_scale
    from scalinglab.memory.radius import theoretical_radius

    rng = np.random.default_rng(0)
    n, g = 32, 1.5
    x = rng.normal(size=(200, n))
    m = g * np.sqrt(n) * x / np.linalg.norm(x, axis=1, keepdims=True)
    q = np.vstack([m[:30] + 1e-3, g * np.sqrt(n) * np.eye(n)[:10]])  # 30 copies, 10 new states
    d, _ = nearest_neighbours(q, m, device="cpu")
    s = state_scale(q, m, d, n)
    assert s["state_norm_mean"] == pytest.approx(g * np.sqrt(n))
    assert s["state_rms_coordinate"] == pytest.approx(g)
    assert s["median_over_rms_coordinate"] == pytest.approx(np.median(d) / g)
    assert s["near_copy_threshold"] == pytest.approx(0.1 * theoretical_radius(n))
    assert s["fraction_near_copies"] == pytest.approx(30 / 40)
