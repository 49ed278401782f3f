"""Quantization model (Michaud et al. 2023): sparse-parity data, training, power-law fits, theory."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from scalinglab.quantization import SparseParityTask, fit_loss_exponent, theory_exponents, zipf_frequencies
from scalinglab.quantization.curves import learning_order, learning_transitions
from scalinglab.quantization.fit import EXPONENT_COLUMNS, exponents_table, fit_sweep_exponents, mark_fit_range
from scalinglab.quantization.model import MLPStack, mlp_parameter_count, one_hidden_layer_mlp
from scalinglab.quantization.theory import effective_quanta_learned, loss_after_learning
from scalinglab.quantization.train import train_data_sweep, train_width_sweep


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny matmuls: one thread avoids OpenMP spin-waits on a busy 2-core machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---- the data generator -------------------------------------------------------------------------

def test_zipf_frequencies_follow_the_power_law():
    p = zipf_frequencies(50, alpha=0.4)
    assert p.sum() == pytest.approx(1.0)
    ranks = np.arange(1, 51)
    slope = np.polyfit(np.log(ranks), np.log(p), 1)[0]
    assert slope == pytest.approx(-1.4, abs=1e-9)


def test_sampled_task_counts_match_the_frequencies():
    task = SparseParityTask(n_tasks=10, n_bits=8, k=3, alpha=0.5, seed=0)
    _, _, tasks = task.sample(200_000, torch.Generator().manual_seed(0))
    empirical = np.bincount(tasks.numpy(), minlength=10) / 200_000
    # 200k draws: binomial standard error <= 0.0012, so 5 sigma is 0.006
    np.testing.assert_allclose(empirical, task.frequencies, atol=0.006)


def test_inputs_are_onehot_task_then_bits_and_labels_are_parities_of_the_tasks_bits():
    task = SparseParityTask(n_tasks=7, n_bits=12, k=3, alpha=0.4, seed=3)
    x, y, tasks = task.sample(2000, torch.Generator().manual_seed(1))
    assert x.shape == (2000, 7 + 12)
    onehot, bits = x[:, :7], x[:, 7:].long()
    assert torch.equal(onehot.argmax(1), tasks) and torch.all(onehot.sum(1) == 1)
    for i in range(2000):
        positions = task.subsets[int(tasks[i])]
        assert int(y[i]) == int(bits[i, positions].sum()) % 2
    # every task has k distinct positions inside range, and tasks differ
    assert task.subsets.shape == (7, 3)
    assert all(len(set(s)) == 3 and max(s) < 12 for s in task.subsets.tolist())
    assert len({tuple(s) for s in task.subsets.tolist()}) > 1


def test_labels_ignore_bits_outside_the_tasks_subset():
    task = SparseParityTask(n_tasks=3, n_bits=10, k=2, alpha=1.0, seed=0)
    tasks = torch.zeros(1, dtype=torch.long)
    bits = torch.zeros(1, 10, dtype=torch.uint8)
    others = [j for j in range(10) if j not in task.subsets[0]]
    bits[0, others] = 1
    assert task.encode(tasks, bits)[1].item() == 0
    bits[0, task.subsets[0][0]] = 1
    assert task.encode(tasks, bits)[1].item() == 1


def test_generator_and_training_are_deterministic():
    task = SparseParityTask(n_tasks=5, n_bits=8, k=3, alpha=0.4, seed=9)
    a = task.sample(100, torch.Generator().manual_seed(4))
    b = task.sample(100, torch.Generator().manual_seed(4))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert np.array_equal(task.subsets, SparseParityTask(5, 8, 3, alpha=1.3, seed=9).subsets)
    assert not np.array_equal(task.subsets, SparseParityTask(5, 8, 3, alpha=0.4, seed=10).subsets)
    r1, l1, _ = train_width_sweep(task, [4, 8], steps=20, batch_size=64, lr=1e-2, test_per_task=16, seed=1)
    r2, l2, _ = train_width_sweep(task, [4, 8], steps=20, batch_size=64, lr=1e-2, test_per_task=16, seed=1)
    assert np.array_equal(l1, l2) and [r["loss"] for r in r1] == [r["loss"] for r in r2]


# ---- the model -----------------------------------------------------------------------------------

def test_mlp_stack_members_equal_separate_mlps():
    x = torch.randn(5, 13)
    stack = MLPStack(13, [3, 7], seeds=[1, 2])
    logits = stack(x)
    for j, (w, s) in enumerate([(3, 1), (7, 2)]):
        alone = one_hidden_layer_mlp(13, w, s)
        torch.testing.assert_close(logits[j], alone(x))
        assert sum(p.numel() for p in alone.parameters()) == mlp_parameter_count(13, w)


def test_a_tiny_model_learns_the_most_frequent_tasks():
    task = SparseParityTask(n_tasks=8, n_bits=8, k=3, alpha=1.0, seed=0)
    rows, losses, curves = train_width_sweep(task, [64], steps=600, batch_size=256, lr=1e-2,
                                             test_per_task=256, seed=0, curve_every=50)
    frequent, rare = losses[0, :2], losses[0, -1]
    curves = pd.DataFrame(curves)
    assert sorted(curves["step"].unique()) == list(range(0, 601, 50))
    final = curves[curves["step"] == 600].sort_values("task")["loss"].to_numpy()
    np.testing.assert_allclose(final, losses[0])  # the last curve point is the reported loss
    assert (curves[curves["step"] == 0]["loss"] > 0.5 * math.log(2)).all()  # all start near chance
    assert np.all(frequent < 0.1 * math.log(2)), frequent  # far below chance on the top tasks
    assert rows[0]["loss"] < 0.5 * math.log(2)
    assert frequent.max() < rare


def test_data_sweep_more_data_lower_loss():
    task = SparseParityTask(n_tasks=8, n_bits=8, k=3, alpha=1.0, seed=0)
    rows, _, curves = train_data_sweep(task, [200, 20000], width=64, max_steps=800, batch_size=128,
                                       lr=1e-2, eval_every=50, patience=4, val_size=1000,
                                       test_per_task=128, seed=0)
    assert rows[1]["loss"] < rows[0]["loss"]
    assert set(pd.DataFrame(curves)["samples"]) == {200, 20000}
    assert all(r["best_step"] >= 50 for r in rows)


# ---- theory and fits -----------------------------------------------------------------------------

@pytest.mark.parametrize("alpha", [0.1, 0.4, 1.0, 2.5])
def test_theory_exponents(alpha):
    assert theory_exponents(alpha) == pytest.approx((alpha, alpha / (alpha + 1)))


def test_effective_quanta_inverts_the_ideal_loss():
    n = np.array([0.0, 1.0, 2.5, 10.0, 40.0])
    loss = loss_after_learning(n, n_tasks=40, alpha=0.4)
    assert loss[0] == pytest.approx(math.log(2)) and loss[-1] == 0.0
    np.testing.assert_allclose(effective_quanta_learned(loss, 40, 0.4), n, atol=1e-9)


def test_power_law_fit_recovers_a_known_exponent_from_noisy_data():
    rng = np.random.default_rng(0)
    x = np.geomspace(1e3, 1e6, 12)
    loss = 50.0 * x ** -0.37 * np.exp(rng.normal(0, 0.03, x.size))
    fit = fit_loss_exponent(x, loss)
    assert fit.exponent == pytest.approx(0.37, abs=0.03)
    assert fit.exponent_low < 0.37 < fit.exponent_high
    assert fit.coefficient == pytest.approx(50.0, rel=0.5)


def test_fit_table_uses_only_points_in_range():
    alpha, n_tasks = 0.4, 1000
    n = np.geomspace(0.3, 900, 12)                         # effective quanta, some outside the range
    loss = loss_after_learning(n, n_tasks, alpha)
    points = pd.DataFrame(dict(sweep="width", alpha=alpha, params=n * 100, loss=loss))
    points = mark_fit_range(points, n_tasks, min_quanta=1.0, max_quanta_fraction=0.05)
    assert points["in_fit_range"].tolist() == list((n >= 1.0) & (n <= 50))
    table = fit_sweep_exponents(points)
    # params ∝ n_eff here, so beta is exactly the theory's 1 and alpha_N = alpha
    assert table.loc[0, "beta"] == pytest.approx(1.0, abs=1e-6)
    assert table.loc[0, "fitted"] == pytest.approx(alpha, abs=1e-6) and table.loc[0, "inside"]
    assert table.loc[0, "theory"] == alpha and table.loc[0, "n_points"] == points["in_fit_range"].sum()
    assert table.loc[0, "beta_theory"] == 1.0
    # far from the task count the straight line through the loss is close to alpha too
    assert table.loc[0, "loss_fitted"] == pytest.approx(alpha, abs=0.05)


@pytest.mark.parametrize("alpha", [0.4, 0.7, 1.0])
def test_finite_task_count_biases_the_loss_line_but_not_alpha_beta(alpha):
    """32 subtasks, quanta learned ∝ D^(1/(α+1)) up to T/2: the line through L is steeper than
    α/(α+1) (the demo's old α_D ≈ 0.5 for every α); α·β recovers the theory."""
    n_tasks = 32
    samples = np.geomspace(1e3, 1e5, 10)
    n = 0.05 * samples ** (1 / (alpha + 1))
    points = pd.DataFrame(dict(sweep="data", alpha=alpha, samples=samples,
                               loss=loss_after_learning(n, n_tasks, alpha)))
    points = mark_fit_range(points, n_tasks, min_quanta=1.0, max_quanta_fraction=0.5)
    row = fit_sweep_exponents(points).iloc[0]
    theory = alpha / (alpha + 1)
    assert row["fitted"] == pytest.approx(theory, rel=1e-6)
    assert row["loss_fitted"] > theory * 1.1


def test_exponents_table_one_row_per_alpha_with_both_sweeps():
    rows = []
    # Sizes off the exact law by ~1e-5 so that the interval has a width (exact points give a
    # zero-width interval that rounding alone puts beside the theory).
    jitter = 1 + 1e-5 * np.random.default_rng(0).standard_normal(6)
    for alpha in (0.4, 1.0):
        n = np.geomspace(1, 12, 6)
        loss = loss_after_learning(n, 32, alpha)
        rows.append(pd.DataFrame(dict(sweep="width", alpha=alpha, params=n * 500 * jitter, loss=loss)))
        rows.append(pd.DataFrame(dict(sweep="data", alpha=alpha,
                                      samples=(n / 0.05) ** (alpha + 1) * jitter, loss=loss)))
    points = mark_fit_range(pd.concat(rows, ignore_index=True), 32, 1.0, 0.5)
    table = exponents_table(fit_sweep_exponents(points, level=0.8), n_tasks=32)
    assert list(table.columns) == EXPONENT_COLUMNS and len(table) == 2
    for _, r in table.iterrows():
        assert r["alpha_N"] == pytest.approx(r["alpha"], rel=1e-3) and r["alpha_N_theory"] == r["alpha"]
        assert r["alpha_D"] == pytest.approx(r["alpha"] / (r["alpha"] + 1), rel=1e-3)
        assert r["alpha_N_inside"] and r["alpha_D_inside"] and r["alpha_N_n_points"] == 6
        assert r["alpha_N_lo"] <= r["alpha_N"] <= r["alpha_N_hi"] and r["level"] == 0.8
    # a sweep with too few points in range: NaN exponent, not inside, and says so
    few = points[~((points["sweep"] == "data") & (points["alpha"] == 1.0) & (points["samples"] > 2e3))]
    fits = fit_sweep_exponents(few)
    assert fits.query("sweep == 'data' and alpha == 1.0")["status"].iloc[0].startswith("not fitted")
    row = exponents_table(fits, 32).query("alpha == 1.0").iloc[0]
    assert np.isnan(row["alpha_D"]) and not row["alpha_D_inside"]


def test_learning_transitions_of_abrupt_and_gradual_curves():
    steps = np.arange(0, 1001, 50)
    chance = math.log(2)
    abrupt = chance / (1 + np.exp((steps - 400) / 10))          # a step at 400
    gradual = chance * np.clip(1 - steps / 1000, 0, 1)           # linear decline to 0 at 1000
    never = np.full_like(steps, chance, dtype=float)
    curves = pd.DataFrame([dict(step=s, width=8, task=t, frequency=0.1, loss=l)
                           for t, ys in ((1, abrupt), (2, gradual), (3, never)) for s, l in zip(steps, ys)])
    tr = learning_transitions(curves)
    assert tr["task"].tolist() == [1, 2]  # the never-learned subtask has no row
    a, g = tr.iloc[0], tr.iloc[1]
    assert a["start_step"] == 350 and a["learned_step"] == 450 and a["relative_duration"] < 0.25
    assert g["start_step"] == 100 and g["learned_step"] == 900 and g["relative_duration"] > 0.8
    assert a["drop_to_plateau"] == pytest.approx(100 / 350) and g["drop_to_plateau"] == pytest.approx(8)
    from_zero = curves.assign(loss=np.where(curves["task"] == 1, chance * np.exp(-curves["step"] / 100.0),
                                            curves["loss"]))
    assert np.isinf(learning_transitions(from_zero).iloc[0]["drop_to_plateau"])  # no plateau at all
    order = learning_order(tr)
    assert order.loc[0, "learned"] == 2
    with pytest.raises(ValueError, match="low=0.5 < high=0.2"):
        learning_transitions(curves, low=0.5, high=0.2)


def test_subtasks_have_distinct_parities():
    task = SparseParityTask(n_tasks=100, n_bits=10, k=3, alpha=0.4, seed=0)
    assert len({tuple(s) for s in task.subsets.tolist()}) == 100
    with pytest.raises(ValueError, match=r"n_tasks=121 > C\(n_bits=10, k=3\) = 120"):
        SparseParityTask(n_tasks=121, n_bits=10, k=3, alpha=0.4)


# ---- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(n_tasks=5, n_bits=3, k=4, alpha=0.4), "k=4 > n_bits=3"),
    (dict(n_tasks=0, n_bits=3, k=2, alpha=0.4), "n_tasks=0"),
    (dict(n_tasks=5, n_bits=3, k=2, alpha=0.0), "alpha=0.0"),
    (dict(n_tasks=5, n_bits=3, k=2, alpha=-1), "alpha=-1"),
    (dict(n_tasks=5, n_bits=0, k=2, alpha=0.4), "n_bits=0"),
])
def test_bad_task_sizes_fail_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        SparseParityTask(**kwargs)
    assert "\n" not in str(err.value)


def test_bad_sweep_sizes_fail_clearly():
    task = SparseParityTask(4, 6, 3, 0.4)
    with pytest.raises(ValueError, match=r"widths contains 0"):
        train_width_sweep(task, [8, 0], steps=5, batch_size=8, lr=1e-2, test_per_task=4, seed=0)
    with pytest.raises(ValueError, match=r"data_sizes contains -10"):
        train_data_sweep(task, [100, -10], width=8, max_steps=5, batch_size=8, lr=1e-2, eval_every=1,
                         patience=1, val_size=10, test_per_task=4, seed=0)
    with pytest.raises(ValueError, match="alpha"):
        theory_exponents(0)


@pytest.mark.parametrize("x, loss, message", [
    ([1, 2], [1.0, 0.5], "need >= 3"),
    ([1, 2, 3], [1.0, -0.5, 0.2], "must be > 0"),
    ([1, 2, np.nan], [1.0, 0.5, 0.2], "NaN"),
    ([2, 2, 2], [1.0, 0.5, 0.2], "distinct"),
])
def test_power_law_fit_rejects_bad_points(x, loss, message):
    with pytest.raises(ValueError, match=message):
        fit_loss_exponent(x, loss)


def test_subtask_curves_figure_is_written(tmp_path):
    from scalinglab.quantization.figures import subtask_curves
    steps = np.arange(0, 501, 50)
    curves = pd.DataFrame([dict(step=s, width=w, task=t, frequency=1 / t,
                                loss=math.log(2) / (1 + np.exp((s - 100 * t) / 10)))
                           for w in (8, 16, 32, 64) for t in (1, 2, 3, 4) for s in steps])
    png = tmp_path / "quantization_subtask_curves.png"
    subtask_curves({"subtask_run": (curves[curves["width"] == 64], 40), "width_sweep": (curves, 10)},
                   alpha=0.4, png_path=png)
    assert png.stat().st_size > 10_000 and png.with_suffix(".pdf").exists()


def test_dropping_finished_members_leaves_the_others_unchanged():
    """MLPStack.select carries weights and Adam state: kept members train exactly as before."""
    torch.manual_seed(0)
    x, y = torch.randn(3, 16, 9), torch.randint(0, 2, (3, 16))

    def steps(stack, opt, xs, ys, n):
        for _ in range(n):
            opt.zero_grad()
            stack.member_losses(xs, ys).sum().backward()
            opt.step()

    full = MLPStack(9, [5, 5, 5], seeds=[1, 2, 3])
    opt = torch.optim.Adam(full.parameters(), lr=1e-2)
    steps(full, opt, x, y, 4)
    part, part_opt = full.select([0, 2], opt)
    steps(full, opt, x, y, 4)
    steps(part, part_opt, x[[0, 2]], y[[0, 2]], 4)
    torch.testing.assert_close(part(x[[0, 2]]), full(x)[[0, 2]])


def test_subtask_run_stage_writes_curves_and_names_a_bad_n_bits(tmp_path):
    from scalinglab.quantization.stages import quantization_subtask_run

    settings = dict(width=16, steps=30, batch_size=64, lr=0.01, log_every=0, curve_every=10)
    common = dict(alpha=0.4, n_tasks=4, k=3, task_seed=0, seed=1, test_per_task=8, device="cpu",
                  settings=settings, threads=1)
    out = tmp_path / "subtask_run.csv"
    quantization_subtask_run(curves=str(out), n_bits=12, **common)
    curves = pd.read_csv(out)
    assert sorted(curves["step"].unique()) == [0, 10, 20, 30] and set(curves["task"]) == {1, 2, 3, 4}
    assert (curves["n_bits"] == 12).all() and (curves["width"] == 16).all()
    with pytest.raises(ValueError, match=r"quantization.subtask_run \(n_bits=2\): quantization: k=3 > n_bits=2"):
        quantization_subtask_run(curves=str(tmp_path / "bad.csv"), n_bits=2, **common)
    assert not (tmp_path / "bad.csv").exists()
