"""Well-separated random key->value patterns whose information content is known exactly.

Pattern i is a key of ``key_len`` tokens followed by a value of ``value_len`` tokens, all drawn
uniformly from a vocabulary of ``vocab_size`` tokens. Keys are distinct and pairwise at Hamming
distance >= ``min_key_distance`` (greedy rejection sampling), so no two patterns share a key
and no key is a one-token perturbation of another: the patterns are well separated in token space.
Values are independent and uniform, so memorising them means storing exactly
``D * value_len * log2(vocab_size)`` bits, and a model that has not memorised pattern i can do no
better on its value than ln(vocab_size) nats per token.

The pattern sets are nested: the D patterns of a smaller set are the first D of every larger set
drawn with the same seed, so runs at different D differ only in how many patterns they store.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class PatternSpec:
    key_len: int
    value_len: int
    vocab_size: int
    min_key_distance: int = 2

    def __post_init__(self):
        for name in ("key_len", "value_len", "vocab_size", "min_key_distance"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"capacity.patterns.{name}={v!r} must be an integer >= 1")
        if self.vocab_size < 2:
            raise ValueError(f"capacity.patterns.vocab_size={self.vocab_size} must be >= 2 "
                             f"(one token carries no information)")
        if self.min_key_distance > self.key_len:
            raise ValueError(f"capacity.patterns.min_key_distance={self.min_key_distance} exceeds "
                             f"key_len={self.key_len}; lower it or lengthen the keys")

    @property
    def seq_len(self) -> int:
        return self.key_len + self.value_len

    @property
    def bits_per_pattern(self) -> float:
        return self.value_len * math.log2(self.vocab_size)

    @property
    def nats_per_value_token(self) -> float:
        """Loss of a model that knows nothing about the value (uniform guess)."""
        return math.log(self.vocab_size)


def draw_keys(n: int, spec: PatternSpec, seed: int, max_tries_factor: int = 50) -> np.ndarray:
    """``n`` keys [n, key_len], pairwise Hamming distance >= spec.min_key_distance, greedy in draw order."""
    rng = np.random.default_rng(seed)
    keys = np.empty((n, spec.key_len), dtype=np.int64)
    count, tries = 0, 0
    batch = 1024  # fixed, so that the accepted keys of a draw of D are a prefix of every larger draw
    while count < n:
        for cand in rng.integers(0, spec.vocab_size, size=(batch, spec.key_len)):
            tries += 1
            if count and (keys[:count] != cand).sum(axis=1).min() < spec.min_key_distance:
                continue
            keys[count] = cand
            count += 1
            if count == n:
                break
        if tries > max_tries_factor * n:
            raise ValueError(
                f"capacity: could not draw {n} keys of {spec.key_len} tokens over {spec.vocab_size} at "
                f"Hamming distance >= {spec.min_key_distance} ({count} after {tries} tries); "
                f"lengthen capacity.patterns.key_len or enlarge vocab_size")
    return keys


def draw_patterns(n: int, spec: PatternSpec, seed: int) -> np.ndarray:
    """[n, key_len + value_len] token ids; the first D rows of a draw are the draw of D (nested)."""
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"capacity: pattern count {n!r} must be an integer >= 1")
    n = int(n)
    keys = draw_keys(n, spec, seed)
    # values from their own stream so that they do not depend on how many keys were rejected
    values = np.random.default_rng([seed, 1]).integers(0, spec.vocab_size, size=(n, spec.value_len))
    return np.concatenate([keys, values], axis=1)


def inputs_and_targets(patterns: np.ndarray, spec: PatternSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Next-token inputs [D, L-1] and targets [D, L-1] with the key positions masked (-100), so the
    loss is the cross-entropy of the value tokens only (the keys are random and carry nothing to learn
    beyond themselves)."""
    seq = torch.as_tensor(patterns, dtype=torch.long)
    x, y = seq[:, :-1].clone(), seq[:, 1:].clone()
    y[:, : spec.key_len - 1] = -100
    return x, y
