"""The quantization model's predictions (Michaud et al. 2023, Section 2).

Quanta are used with Zipf frequencies p_k ∝ k^-(α+1). A model that has learned the n most frequent
quanta has the mean loss L(n) ≈ b Σ_{k>n} p_k ∝ n^-α, where b is the loss on an unlearned quantum
(log 2 nats for a parity guessed at chance). Then
- parameters: n ∝ N (a fixed number of neurons per quantum) gives L ∝ N^-α, so α_N = α;
- data: quantum k is learned once it has been seen about τ times, D p_k ≳ τ, so n ∝ D^{1/(α+1)}
  and L ∝ D^-α/(α+1), so α_D = α/(α+1).
"""
from __future__ import annotations

import math

import numpy as np

from scalinglab.quantization.task import check_task_size, zipf_frequencies

UNLEARNED_LOSS = math.log(2.0)  # cross-entropy of a fair coin guess on a parity, nats


def theory_exponents(alpha: float) -> tuple[float, float]:
    """(α_N, α_D) = (α, α/(α+1)) for Zipf frequencies p_k ∝ k^-(α+1)."""
    check_task_size(alpha=alpha)
    return float(alpha), float(alpha / (alpha + 1.0))


def loss_after_learning(n_learned: np.ndarray | float, n_tasks: int, alpha: float,
                        unlearned_loss: float = UNLEARNED_LOSS) -> np.ndarray:
    """Mean loss with the n most frequent of n_tasks quanta learned (zero loss) and the rest at chance.

    Fractional n interpolates linearly inside one quantum, so the map is invertible.
    """
    p = zipf_frequencies(n_tasks, alpha)
    tail = np.concatenate([np.cumsum(p[::-1])[::-1], [0.0]])  # tail[j] = Σ_{k>j} p_k (0-based j)
    n = np.clip(np.asarray(n_learned, dtype=np.float64), 0.0, n_tasks)
    return unlearned_loss * np.interp(n, np.arange(n_tasks + 1), tail)


def effective_quanta_learned(loss: np.ndarray | float, n_tasks: int, alpha: float,
                             unlearned_loss: float = UNLEARNED_LOSS) -> np.ndarray:
    """The number of quanta n whose ideal loss `loss_after_learning(n)` equals the measured loss."""
    grid = np.arange(n_tasks + 1, dtype=np.float64)
    ideal = loss_after_learning(grid, n_tasks, alpha, unlearned_loss)  # decreasing in n
    return np.interp(np.asarray(loss, dtype=np.float64), ideal[::-1], grid[::-1])


def in_power_law_range(loss: np.ndarray, n_tasks: int, alpha: float, min_quanta: float,
                       max_quanta_fraction: float) -> np.ndarray:
    """Points inside the intermediate range where L ∝ n^-α holds.

    Below `min_quanta` effectively learned quanta the loss sits on the chance plateau; above
    `max_quanta_fraction * n_tasks` the finite number of tasks bends the curve down (the tail sum
    Σ_{k>n} p_k ≈ (n^-α - n_tasks^-α)/α is no longer a power law) and the residual loss of
    learned tasks dominates. Both bounds are in config (quantization.fit_*).
    """
    n_eff = effective_quanta_learned(loss, n_tasks, alpha)
    return (n_eff >= min_quanta) & (n_eff <= max_quanta_fraction * n_tasks)
