"""Energy landscapes of associative memories (Niu et al. 2024, Sections 3-4 and Figure 1).

All functions take points ``x`` of shape (..., d) and stored patterns ``patterns`` (N, d) and
return energies of shape (...), so a whole 2-D grid is evaluated at once.

* :func:`neg_lse_energy` — the negative LogSumExp, −lse(β, ξᵀx) = −β⁻¹ log Σ_i exp(β ξ_iᵀ x),
  the extension of Demircigil et al. (2017) in Niu Fig. 1(a) (β = 1 there).
* :func:`hopfield_energy` — the modern continuous Hopfield energy of Ramsauer et al. (2021,
  Eq. 2), which Niu et al. recall in Section 3.1 (Fig. 1(b)):
  E(x) = −lse(β, ξᵀx) + ½ xᵀx + β⁻¹ log N + ½ M²,  M = max_i ‖ξ_i‖.
* :func:`distance_energy` — the paper's distance-based layer energy (Section 4, Fig. 1(c)):
  E(x) = −log Σ_i exp(−‖x − ρ_i‖²). It needs no regulariser: far from the patterns it grows like
  the squared distance to the nearest one, and for well-separated patterns its minima sit at them.
* The layered global energy (Section 4.1, Fig. 1(d)). The paper builds it by majorization-
  minimization from "softmax is the gradient of LogSumExp"; it gives no code, so the
  construction below is ours and is written out in full:

  1. Layer energy majorizer. By Jensen's inequality, for p = softmax(−‖x_k − ρ_i‖²),
     E(x) ≤ Σ_i p_i ‖x − ρ_i‖² + Σ_i p_i log p_i   (:func:`distance_energy_majorizer`),
     with equality at x = x_k. Its minimiser is x_{k+1} = Σ_i p_i ρ_i — exactly an attention
     read-out with keys = values = patterns — so each attention layer is one MM step and
     E(x_{k+1}) ≤ E(x_k) (:func:`mm_step`).
  2. Global energy of L layers with pattern sets P_1 … P_L:
     E_global(x) = −log Σ_t exp(−E_t(x))  (:func:`layered_global_energy`), a soft minimum of the
     layer energies: low wherever some layer holds a pattern. Its Jensen majorizer at x_k weights
     every layer's patterns by one joint softmax, so the MM step on E_global is attention over the
     union of the layers' patterns and decreases E_global monotonically
     (:func:`mm_trajectory`, tested).
  Which patterns the second layer holds is an illustration choice (config
  ``memory.energy.second_layer_patterns``; by default the first layer's patterns reflected
  through the origin).
"""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

# Niu et al. 2024, Figure 1: the three 2-D patterns.
NIU_FIGURE1_PATTERNS = ((-2.0, -0.5), (0.2, -0.3), (1.5, 1.5))


def _patterns(patterns) -> np.ndarray:
    p = np.asarray(patterns, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"patterns must be a non-empty (N, d) array; got shape {p.shape}")
    return p


def _sq_dist(x, patterns) -> np.ndarray:
    """‖x − ρ_i‖² for every pattern: shape (..., N)."""
    x = np.asarray(x, dtype=np.float64)
    p = _patterns(patterns)
    if x.shape[-1] != p.shape[1]:
        raise ValueError(f"points have dimension {x.shape[-1]} but patterns {p.shape[1]}")
    return ((x[..., None, :] - p) ** 2).sum(-1)


def neg_lse_energy(x, patterns, beta: float = 1.0) -> np.ndarray:
    """−lse(β, ξᵀx) = −β⁻¹ log Σ_i exp(β ξ_iᵀ x)."""
    p = _patterns(patterns)
    x = np.asarray(x, dtype=np.float64)
    return -logsumexp(beta * (x @ p.T), axis=-1) / beta


def hopfield_energy(x, patterns, beta: float = 1.0) -> np.ndarray:
    """Ramsauer et al. (2021) Eq. 2: −lse(β, ξᵀx) + ½xᵀx + β⁻¹ log N + ½M²."""
    p = _patterns(patterns)
    x = np.asarray(x, dtype=np.float64)
    M = np.linalg.norm(p, axis=1).max()
    return (neg_lse_energy(x, p, beta) + 0.5 * (x * x).sum(-1)
            + np.log(p.shape[0]) / beta + 0.5 * M ** 2)


def distance_energy(x, patterns) -> np.ndarray:
    """Niu et al. Section 4: E(x) = −log Σ_i exp(−‖x − ρ_i‖²)."""
    return -logsumexp(-_sq_dist(x, patterns), axis=-1)


def attention_weights(x, patterns) -> np.ndarray:
    """softmax_i(−‖x − ρ_i‖²), the gradient weights of the distance energy: shape (..., N)."""
    z = -_sq_dist(x, patterns)
    return np.exp(z - logsumexp(z, axis=-1, keepdims=True))


def distance_energy_majorizer(x, anchor, patterns) -> np.ndarray:
    """Jensen upper bound of the distance energy, tight at `anchor`:
    Σ_i p_i ‖x − ρ_i‖² + Σ_i p_i log p_i with p = softmax(−‖anchor − ρ_i‖²)."""
    w = attention_weights(anchor, patterns)
    entropy_term = (w * np.log(np.clip(w, 1e-300, None))).sum(-1)
    return (w * _sq_dist(x, patterns)).sum(-1) + entropy_term


def mm_step(x, patterns) -> np.ndarray:
    """One majorization-minimization step = one attention read-out: Σ_i p_i(x) ρ_i."""
    return attention_weights(x, patterns) @ _patterns(patterns)


def layered_global_energy(x, layers) -> np.ndarray:
    """E_global(x) = −log Σ_t exp(−E_t(x)) over the layers' pattern sets (our MM construction)."""
    if len(layers) == 0:
        raise ValueError("layered_global_energy needs at least one layer of patterns")
    per_layer = np.stack([-distance_energy(x, p) for p in layers], axis=-1)
    return -logsumexp(per_layer, axis=-1)


def mm_trajectory(x0, layers, steps: int = 20) -> np.ndarray:
    """Iterates of the MM step on E_global from `x0`: shape (steps + 1, d); energy non-increasing."""
    union = np.concatenate([_patterns(p) for p in layers], axis=0)
    path = [np.asarray(x0, dtype=np.float64)]
    for _ in range(steps):
        path.append(mm_step(path[-1], union))
    return np.stack(path)


def energy_grid(energy, extent: float = 3.0, resolution: int = 200, **kwargs):
    """(X, Y, E) of `energy(points, **kwargs)` on a square grid [−extent, extent]²."""
    xs = np.linspace(-extent, extent, resolution)
    X, Y = np.meshgrid(xs, xs)
    return X, Y, energy(np.stack([X, Y], axis=-1), **kwargs)
