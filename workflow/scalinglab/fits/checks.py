"""Input checks shared by every fitter: one clear line per problem, raised before any fitting."""
from __future__ import annotations

import numpy as np


class FitInputError(ValueError):
    """Bad data handed to a fitter (too few points, NaN, non-positive sizes or losses)."""


def positive_arrays(n_params: int, what: str, **arrays) -> list[np.ndarray]:
    """Return the arrays as 1-D float arrays after checking they suit a fit with `n_params`.

    Every array must have the same length, hold finite strictly positive values (sizes, tokens,
    FLOPs and losses all enter through their logarithm) and hold at least as many points as parameters.
    """
    out = []
    length = None
    for name, values in arrays.items():
        arr = np.asarray(values, dtype=float).ravel()
        if length is None:
            length = arr.size
        elif arr.size != length:
            raise FitInputError(f"{what}: `{name}` has {arr.size} values but the others have "
                                f"{length}; pass one value per point")
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FitInputError(f"{what}: `{name}` holds {int(bad.sum())} NaN/inf value(s) "
                                f"(first at index {i}); drop those points before fitting")
        nonpos = arr <= 0
        if nonpos.any():
            i = int(np.flatnonzero(nonpos)[0])
            raise FitInputError(f"{what}: `{name}` must be > 0 but index {i} is {arr[i]:g}; "
                                f"sizes, tokens, FLOPs and losses enter through their logarithm")
        out.append(arr)
    if length is None or length == 0 or length < n_params:
        raise FitInputError(f"{what}: {length or 0} point(s) for {n_params} parameters; "
                            f"a fit needs at least as many points as parameters")
    return out
