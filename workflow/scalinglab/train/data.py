"""Batches from the uint16 token memmaps, in a seeded epoch-based order without replacement.

A token file of n tokens holds W = (n - 1) // block_size non-overlapping windows of block_size + 1
tokens (inputs and shifted targets). Training walks a global sample position g = 0, 1, 2, ...;
window ``perm_e[g mod W]`` with ``e = g // W`` and ``perm_e`` a permutation seeded by (seed, e).
So every window is seen exactly once per epoch, "epochs over 0.1% of the data" is well defined, and
the data order is a pure function of (seed, position): resuming needs only the position.
"""
from __future__ import annotations

import numpy as np
import torch

# The token-file format and its checks belong to the data stage: open files only through it.
from ..data.tokens import DataError, open_tokens  # noqa: F401  (re-exported for the trainer)
from .preflight import check_windows


class TokenWindows:
    """Non-overlapping (block_size + 1)-token windows of a memmap, batched to a device."""

    def __init__(self, tokens: np.ndarray, block_size: int, name: str, device: str = "cpu"):
        self.n_windows = check_windows(len(tokens), block_size, name)
        self.tokens, self.block_size, self.device = tokens, block_size, device
        self._offsets = np.arange(block_size + 1)
        self._pin = device.startswith("cuda")

    def batch(self, window_ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        starts = np.asarray(window_ids, dtype=np.int64) * self.block_size
        rows = torch.from_numpy(self.tokens[starts[:, None] + self._offsets].astype(np.int64))
        if self._pin:  # page-locked host memory lets the copy overlap compute
            rows = rows.pin_memory()
        rows = rows.to(self.device, non_blocking=True)
        return rows[:, :-1], rows[:, 1:].contiguous()


class EpochSampler:
    """Window ids at global sample positions: epoch-wise permutations seeded by (seed, epoch)."""

    def __init__(self, n_windows: int, seed: int):
        self.n, self.seed = n_windows, seed
        self._epoch, self._perm = -1, None

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch != self._epoch:
            self._perm = np.random.default_rng([self.seed, epoch]).permutation(self.n)
            self._epoch = epoch
        return self._perm

    def window_ids(self, start: int, count: int) -> np.ndarray:
        positions = np.arange(start, start + count, dtype=np.int64)
        epochs = positions // self.n
        out = np.empty(count, dtype=np.int64)
        for epoch in np.unique(epochs):
            here = epochs == epoch
            out[here] = self._permutation(int(epoch))[positions[here] % self.n]
        return out

    def epochs(self, position: int) -> float:
        return position / self.n


def fixed_windows(n_windows: int, count: int, seed: int | None) -> np.ndarray:
    """A fixed evaluation sample: `count` distinct windows, spread evenly (seed None) or seeded."""
    count = min(count, n_windows)
    if seed is None:
        return np.unique(np.linspace(0, n_windows - 1, count).round().astype(np.int64))
    return np.sort(np.random.default_rng([seed, 2**31 - 1]).choice(n_windows, count, replace=False))
