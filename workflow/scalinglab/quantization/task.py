"""Multitask sparse parity (Michaud et al. 2023, Section 3): the toy task of the quantization model.

An input is a one-hot task code (``n_tasks`` entries) followed by ``n_bits`` uniform random bits.
Task ``i`` (1-based rank) has ``k`` fixed bit positions, drawn once from the seed; the label is the
parity of those ``k`` bits. Tasks are sampled with Zipf frequencies ``p_i ∝ i^-(alpha+1)``, so each
task is one "quantum" and the quanta have power-law use frequencies.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch


def zipf_frequencies(n_tasks: int, alpha: float) -> np.ndarray:
    """Task frequencies p_i = i^-(alpha+1) / sum_j j^-(alpha+1), i = 1..n_tasks (rank order)."""
    check_task_size(n_tasks=n_tasks, alpha=alpha)
    ranks = np.arange(1, n_tasks + 1, dtype=np.float64)
    weights = ranks ** -(alpha + 1.0)
    return weights / weights.sum()


def check_task_size(n_tasks: int = 1, n_bits: int = 1, k: int = 1, alpha: float = 1.0) -> None:
    """Reject sizes the task cannot have, with a one-line message naming the value and the fix."""
    if int(n_tasks) != n_tasks or n_tasks < 1:
        raise ValueError(f"quantization: n_tasks={n_tasks!r} must be an integer >= 1")
    if int(n_bits) != n_bits or n_bits < 1:
        raise ValueError(f"quantization: n_bits={n_bits!r} must be an integer >= 1")
    if int(k) != k or k < 1:
        raise ValueError(f"quantization: k={k!r} must be an integer >= 1")
    if k > n_bits:
        raise ValueError(f"quantization: k={k} > n_bits={n_bits}; a parity needs k <= n_bits bits")
    if not (isinstance(alpha, (int, float)) and math.isfinite(alpha)) or alpha <= 0:
        raise ValueError(f"quantization: alpha={alpha!r} must be > 0 (the Zipf exponent is alpha+1 > 1)")


@dataclass
class SparseParityTask:
    """The task: sizes, the Zipf exponent and the seed that fixes each task's bit positions."""

    n_tasks: int
    n_bits: int
    k: int
    alpha: float
    seed: int = 0
    frequencies: np.ndarray = field(init=False, repr=False)
    subsets: np.ndarray = field(init=False, repr=False)  # (n_tasks, k) bit positions per task

    def __post_init__(self):
        check_task_size(self.n_tasks, self.n_bits, self.k, self.alpha)
        if self.n_tasks > math.comb(self.n_bits, self.k):
            raise ValueError(f"quantization: n_tasks={self.n_tasks} > C(n_bits={self.n_bits}, k={self.k}) = "
                             f"{math.comb(self.n_bits, self.k)} distinct parities; raise n_bits or lower n_tasks")
        self.frequencies = zipf_frequencies(self.n_tasks, self.alpha)
        # The bit positions depend on (seed, n_tasks, n_bits, k) only, not on alpha, so that sweeps
        # over alpha share one set of parities and differ only in how often each is seen.
        rng = np.random.default_rng([int(self.seed), self.n_tasks, self.n_bits, self.k])
        # Distinct subsets: a task sharing its bits with a more frequent one would be learned for
        # free with it, and would not be a quantum of its own (n_bits = 10, k = 3 gives 120
        # subsets, so 32 independent draws would repeat about four of them).
        seen, subsets = set(), []
        while len(subsets) < self.n_tasks:
            subset = tuple(np.sort(rng.choice(self.n_bits, self.k, replace=False)).tolist())
            if subset not in seen:
                seen.add(subset)
                subsets.append(subset)
        self.subsets = np.array(subsets, dtype=np.int64)

    @property
    def input_dim(self) -> int:
        return self.n_tasks + self.n_bits

    def encode(self, tasks: torch.Tensor, bits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs float32 [B, n_tasks + n_bits], labels int64 [B]) for task ids and bit rows."""
        subsets = torch.as_tensor(self.subsets, dtype=torch.long)[tasks]  # (B, k)
        labels = bits.long().gather(1, subsets).sum(1) % 2
        onehot = torch.nn.functional.one_hot(tasks, self.n_tasks).to(torch.float32)
        return torch.cat([onehot, bits.to(torch.float32)], dim=1), labels.long()

    def draw(self, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """`size` raw samples from the Zipf task distribution: (task ids, bits as uint8), compact."""
        probs = torch.as_tensor(self.frequencies, dtype=torch.float64)
        tasks = torch.multinomial(probs, size, replacement=True, generator=generator)
        bits = torch.randint(0, 2, (size, self.n_bits), generator=generator, dtype=torch.uint8)
        return tasks, bits

    def sample(self, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`size` encoded samples from the Zipf task distribution: (inputs, labels, task ids)."""
        tasks, bits = self.draw(size, generator)
        x, y = self.encode(tasks, bits)
        return x, y, tasks

    def per_task_set(self, per_task: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """`per_task` fresh samples of every task (a test set whose loss can be Zipf-weighted exactly)."""
        tasks = torch.arange(self.n_tasks).repeat_interleave(per_task)
        bits = torch.randint(0, 2, (tasks.numel(), self.n_bits), generator=generator)
        x, y = self.encode(tasks, bits)
        return x, y, tasks
