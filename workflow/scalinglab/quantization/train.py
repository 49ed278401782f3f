"""Width and data sweeps on multitask sparse parity (Michaud et al. 2023, Section 3, Fig. 3).

Measured loss: the test cross-entropy (nats) of each task on its own fixed set of fresh samples,
averaged over tasks with the Zipf weights p_i: L = Σ_i p_i L_i. That is the expected loss on fresh
samples from the training distribution without the sampling noise of the rare tasks, and it is
the "mean loss over the quanta" of the theory (see scalinglab.quantization.theory).

- Width sweep: every width sees the same fresh (online) batches — effectively unlimited data — for
  a fixed number of Adam steps, so the loss is limited by parameters.
- Data sweep: a wide network trained for many epochs on a fixed set of D samples (prefixes of one
  seeded draw, so smaller sets are nested in larger ones), early-stopped on a separate validation
  draw from the Zipf distribution; the test loss is read at the best validation step.

CPU determinism: all randomness comes from seeded torch Generators; keep the thread count fixed.
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from scalinglab.quantization.model import MLPStack, mlp_parameter_count
from scalinglab.quantization.task import SparseParityTask

log = logging.getLogger(__name__)


def _check_positive_ints(name: str, values) -> list[int]:
    values = list(values)
    if not values:
        raise ValueError(f"quantization: {name} is empty; give at least one value")
    for v in values:
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise ValueError(f"quantization: {name} contains {v!r}; every entry must be an integer >= 1")
    return [int(v) for v in values]


def _generator(*seed_parts: int) -> torch.Generator:
    # One 63-bit seed from the parts, via numpy's SeedSequence (stable across platforms).
    seed = int(np.random.SeedSequence([int(s) for s in seed_parts]).generate_state(1, np.uint64)[0] >> 1)
    return torch.Generator().manual_seed(seed)


@torch.no_grad()
def per_task_losses(stack: MLPStack, x: torch.Tensor, y: torch.Tensor, tasks: torch.Tensor,
                    n_tasks: int) -> np.ndarray:
    """Mean cross-entropy (nats) of each member on each task, [M, n_tasks]."""
    logits = stack(x)                                                        # [M, B, 2]
    m = logits.shape[0]
    ce = nn.functional.cross_entropy(logits.reshape(-1, 2), y.repeat(m), reduction="none")
    sums = torch.zeros(m, n_tasks, dtype=torch.float64, device=ce.device)
    sums.index_add_(1, tasks, ce.reshape(m, -1).double())
    return (sums / torch.bincount(tasks, minlength=n_tasks).clamp_min(1)).cpu().numpy()


def zipf_weighted_loss(task_losses: np.ndarray, frequencies: np.ndarray) -> float:
    """L = Σ_i p_i L_i: the expected loss on a fresh sample from the Zipf task distribution."""
    return float(np.dot(task_losses, frequencies))


def _row(task, width, samples, steps, task_losses, elapsed, **extra) -> dict:
    return dict(width=width, params=mlp_parameter_count(task.input_dim, width), samples=samples,
                steps=steps, loss=zipf_weighted_loss(task_losses, task.frequencies),
                quanta_learned=int(np.sum(task_losses < 0.1 * np.log(2))), seconds=round(elapsed, 2),
                **extra)


def _member_seed(seed: int, value: int) -> int:
    return int(seed) * 1_000_003 + int(value)


def _curve_rows(step: int, values, name: str, task_losses: np.ndarray, frequencies) -> list[dict]:
    """Long-format rows (step, width|samples, task rank, frequency, loss) of one evaluation."""
    return [{"step": step, name: int(v), "task": i + 1, "frequency": float(frequencies[i]),
             "loss": float(loss)}
            for v, losses in zip(values, task_losses) for i, loss in enumerate(losses)]


def train_width_sweep(task: SparseParityTask, widths, steps: int, batch_size: int, lr: float,
                      test_per_task: int, seed: int, log_every: int = 0, device: str = "cpu",
                      curve_every: int = 0):
    """Train one MLP per width on shared online batches.

    Returns (rows, per-task losses [W, T], curves): `curves` holds the test loss of every subtask
    for every width at step 0 and every `curve_every` steps (none when 0), the per-subtask
    learning curves of Michaud et al. (each quantum is learned abruptly, frequent ones first).
    """
    widths = _check_positive_ints("widths", widths)
    steps, batch_size, test_per_task = (_check_positive_ints(n, [v])[0] for n, v in
                                        (("steps", steps), ("batch_size", batch_size),
                                         ("test_per_task", test_per_task)))
    stack = MLPStack(task.input_dim, widths, [_member_seed(seed, w) for w in widths]).to(device)
    opt = torch.optim.Adam(stack.parameters(), lr=lr)
    data = _generator(seed, 1)
    x_test, y_test, t_test = (t.to(device) for t in task.per_task_set(test_per_task, _generator(seed, 2)))
    curves = []
    if curve_every:
        curves += _curve_rows(0, widths, "width", per_task_losses(stack, x_test, y_test, t_test, task.n_tasks),
                              task.frequencies)
    start = time.perf_counter()
    for step in tqdm(range(1, steps + 1), desc=f"width sweep alpha={task.alpha:g}", mininterval=2,
                     disable=None):
        x, y, _ = task.sample(batch_size, data)
        losses = stack.member_losses(x.to(device), y.to(device))
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
        if log_every and (step % log_every == 0 or step == steps):
            rate = step * batch_size / (time.perf_counter() - start)
            log.info("step %d/%d  train loss by width %s  %.0f samples/s", step, steps,
                     " ".join(f"{w}:{l:.3f}" for w, l in zip(widths, losses.tolist())), rate)
        if curve_every and step % curve_every == 0 and step < steps:
            curves += _curve_rows(step, widths, "width",
                                  per_task_losses(stack, x_test, y_test, t_test, task.n_tasks),
                                  task.frequencies)
    elapsed = time.perf_counter() - start
    losses = per_task_losses(stack, x_test, y_test, t_test, task.n_tasks)
    if curve_every:
        curves += _curve_rows(steps, widths, "width", losses, task.frequencies)
    rows = [_row(task, w, samples=steps * batch_size, steps=steps, task_losses=tl, elapsed=elapsed)
            for w, tl in zip(widths, losses)]
    return rows, losses, curves


def train_data_sweep(task: SparseParityTask, sizes, width: int, max_steps: int, batch_size: int,
                     lr: float, eval_every: int, patience: int, val_size: int, test_per_task: int,
                     seed: int, log_every: int = 0, device: str = "cpu"):
    """Train one MLP of `width` per dataset size, early-stopped; returns (rows, losses [S, T], curves).

    `curves`: the test loss of every subtask for every size at each evaluation (long format, as
    train_width_sweep's); the rows and losses are those at each size's best validation step.

    All sizes train side by side (one MLPStack, each member drawing minibatches from its own
    set); a member whose validation loss has not improved for `patience` evaluations is done, and
    the sweep ends when all are done or at `max_steps`.
    """
    sizes = _check_positive_ints("data_sizes", sizes)
    width, max_steps, batch_size, eval_every, patience, val_size, test_per_task = (
        _check_positive_ints(n, [v])[0] for n, v in
        (("width", width), ("max_steps", max_steps), ("batch_size", batch_size),
         ("eval_every", eval_every), ("patience", patience), ("val_size", val_size),
         ("test_per_task", test_per_task)))
    # Nested training sets, kept compact (task id + uint8 bits) and encoded per batch.
    tasks_all, bits_all = task.draw(max(sizes), _generator(seed, 3))
    x_val, y_val, _ = (t.to(device) for t in task.sample(val_size, _generator(seed, 4)))
    x_test, y_test, t_test = (t.to(device) for t in task.per_task_set(test_per_task, _generator(seed, 2)))
    m = len(sizes)
    stack = MLPStack(task.input_dim, [width] * m, [_member_seed(seed, s) for s in sizes]).to(device)
    opt = torch.optim.Adam(stack.parameters(), lr=lr)
    batches = _generator(seed, 5)
    upper = torch.tensor(sizes)[:, None]
    best_val = np.full(m, np.inf)
    best_step = np.zeros(m, dtype=int)
    bad_evals = np.zeros(m, dtype=int)
    best_task_losses = np.zeros((m, task.n_tasks))
    curves = []
    start = time.perf_counter()
    step = 0
    active = np.arange(m)  # members still training; a finished one is dropped from the stack
    for step in tqdm(range(1, max_steps + 1), desc=f"data sweep alpha={task.alpha:g}", mininterval=2,
                     disable=None):
        # Member j draws its minibatch uniformly from the first sizes[j] samples (many epochs);
        # every member's indices are drawn, so dropping finished members changes no one's batches.
        idx = (torch.rand(m, batch_size, generator=batches) * upper).long()[active]
        x, y = task.encode(tasks_all[idx].reshape(-1), bits_all[idx].reshape(-1, task.n_bits))
        k = len(active)
        losses = stack.member_losses(x.reshape(k, batch_size, -1).to(device), y.reshape(k, -1).to(device))
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
        if step % eval_every == 0 or step == max_steps:
            with torch.no_grad():
                val = stack.member_losses(x_val, y_val).cpu().numpy()
            improved = val < best_val[active]
            test = per_task_losses(stack, x_test, y_test, t_test, task.n_tasks)
            curves += _curve_rows(step, [sizes[j] for j in active], "samples", test, task.frequencies)
            gained = active[improved]
            best_task_losses[gained] = test[improved]
            best_step[gained] = step
            best_val[gained] = val[improved]
            bad_evals[active] = np.where(improved, 0, bad_evals[active] + 1)
            if log_every and step % log_every == 0:
                log.info("step %d  val by D %s  (%d/%d stopped, %.0f samples/s)", step,
                         " ".join(f"{sizes[j]}:{v:.3f}" for j, v in zip(active, val)),
                         m - len(active), m, step * batch_size * len(active) / (time.perf_counter() - start))
            done = bad_evals[active] >= patience
            if done.all():
                break
            if done.any():
                stack, opt = stack.select(list(np.flatnonzero(~done)), opt)
                active = active[~done]
    elapsed = time.perf_counter() - start
    rows = [_row(task, width, samples=s, steps=step, task_losses=tl, elapsed=elapsed,
                 best_step=int(bs), epochs_at_best=round(bs * batch_size / s, 2),
                 best_val_loss=float(v))
            for s, tl, bs, v in zip(sizes, best_task_losses, best_step, best_val)]
    return rows, best_task_losses, curves
