"""The learning-rate schedule of every GPT training loop (the main trainer, question formation).

Linear warmup, then cosine decay to a floor (nanoGPT): for the 0-based optimizer step s,

    lr(s) = lr · (s + 1) / (warmup + 1)                                   s < warmup
          = min_lr + ½ (1 + cos(π (s − warmup) / (decay − warmup))) (lr − min_lr)   warmup ≤ s < decay
          = min_lr                                                        s ≥ decay

so the first step already has a non-zero rate and the last warmup step stays just below lr.
Settings, named the same in every loop's config: ``lr``, ``min_lr`` (absolute), ``warmup_steps``,
and the decay end (the main trainer's ``lr_decay_steps``, else the run's last step).
"""
from __future__ import annotations

import math


def warmup_cosine(step: int, lr: float, min_lr: float, warmup_steps: int, decay_steps: int) -> float:
    """Learning rate at 0-based optimizer `step` (see the module docstring)."""
    if step < warmup_steps:
        return lr * (step + 1) / (warmup_steps + 1)
    if step >= decay_steps:
        return min_lr
    ratio = (step - warmup_steps) / max(1, decay_steps - warmup_steps)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)
