"""The held-out validation split and the nested training subsets, all by document.

One seeded permutation of the corpus's documents decides everything: its first ``n_val`` entries
are the validation documents, the rest is the training order, and the subset at fraction f is the
first ``round(f · n_train)`` documents of that order. Hence the validation set is the same for every
fraction, subsets are nested (0.1% ⊂ 1% ⊂ 100%), and a smaller subset's token file is a prefix of a
larger one's. ``total_documents`` lets a source that is read only partly (OpenWebText streamed up
to the largest subset it needs) keep fractions relative to the whole corpus.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scalinglab.data.tokens import DataError


def fraction_label(fraction: float) -> str:
    """Path label of a fraction, as in workflow/rules/common.smk: 1.0 -> '1', 0.001 -> '0.001'."""
    return f"{float(fraction):g}"


def check_fractions(fractions: Sequence[float]) -> list[float]:
    """Fractions must lie in (0, 1] and have distinct labels."""
    if not fractions:
        raise DataError("data.fractions is empty: list at least one fraction in (0, 1], e.g. [1.0, 0.01, 0.001]")
    seen: dict[str, float] = {}
    for f in fractions:
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f) or not 0 < f <= 1:
            raise DataError(f"data.fractions: {f!r} is outside (0, 1]; use e.g. 0.001 for 0.1%")
        label = fraction_label(f)
        if label in seen:
            raise DataError(f"data.fractions: {f!r} duplicates {seen[label]!r} (both label '{label}'); list each fraction once")
        seen[label] = float(f)
    return [float(f) for f in fractions]


def validation_documents(total_documents: int, val_fraction: float) -> int:
    if not 0 < val_fraction < 1:
        raise DataError(f"data.val_fraction={val_fraction!r} must lie in (0, 1)")
    return max(1, round(val_fraction * total_documents))


def subset_documents(fraction: float, total_documents: int, val_fraction: float) -> int:
    """Documents in the subset at `fraction` of a corpus of `total_documents`."""
    return round(fraction * (total_documents - validation_documents(total_documents, val_fraction)))


def documents_needed(total_documents: int, val_fraction: float, fractions: Sequence[float]) -> int:
    """How many documents (from the start of the corpus) the split at these fractions reads."""
    n_val = validation_documents(total_documents, val_fraction)
    return min(total_documents, n_val + subset_documents(max(fractions), total_documents, val_fraction))


def split_documents(
    n_documents: int,
    val_fraction: float,
    fractions: Sequence[float],
    seed: int,
    total_documents: int | None = None,
) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """(validation document ids, {fraction: training document ids}) over documents 0..n_documents-1.

    `total_documents` (default `n_documents`) is the corpus size the fractions refer to.
    """
    fractions = check_fractions(fractions)
    total = n_documents if total_documents is None else total_documents
    if n_documents < 1:
        raise DataError("the corpus is empty (0 documents): check data.source and its paths")
    n_val = validation_documents(total, val_fraction)
    if n_val >= n_documents:
        raise DataError(
            f"the corpus has {n_documents} documents, too few for {n_val} validation documents plus training "
            f"documents: use a larger corpus or a smaller data.val_fraction"
        )
    order = np.random.default_rng(seed).permutation(n_documents)
    val, train = order[:n_val], order[n_val:]
    subsets = {}
    for f in fractions:
        n = min(subset_documents(f, total, val_fraction), train.size)
        if n < 1:
            raise DataError(
                f"data.fractions: {f:g} of {total - n_val} training documents selects none: "
                f"use a larger corpus or a larger fraction"
            )
        subsets[f] = train[:n]
    return val, subsets
