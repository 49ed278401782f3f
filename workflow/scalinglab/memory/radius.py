"""Radius of the pattern ball in n dimensions (Niu et al. 2024, Section 6.1).

Niu et al. compare the nearest-neighbour distances of GPT-2 hidden states with the radius of an
n-ball of unit volume, for which they use the large-n approximation r ≈ sqrt(n / (2πe)) (Stirling
applied to Γ(n/2 + 1)). We report both that approximation and the exact radius

    V_n(r) = π^(n/2) r^n / Γ(n/2 + 1) = 1   =>   r = Γ(n/2 + 1)^(1/n) / sqrt(π),

computed through lgamma so it stays finite for any width (n = 768: 6.71 and 6.74;
n = 1024: 7.74 and 7.77).
"""
from __future__ import annotations

import math


def _check_dim(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"dimension n={n!r} must be a positive integer (the hidden width n_embd)")
    return n


def theoretical_radius(n: int) -> float:
    """sqrt(n / (2πe)): the paper's (Stirling) radius of the unit-volume n-ball."""
    return math.sqrt(_check_dim(n) / (2 * math.pi * math.e))


def unit_ball_radius(n: int) -> float:
    """Exact radius of the n-ball of unit volume: Γ(n/2 + 1)^(1/n) / sqrt(π)."""
    n = _check_dim(n)
    return math.exp(math.lgamma(n / 2 + 1) / n) / math.sqrt(math.pi)
