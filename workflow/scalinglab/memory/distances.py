"""Exact nearest-neighbour distances of queries to memories (Niu et al. 2024, Section 6.1).

The paper's histogram (Section 6.1, "Empirical evaluation of the radius") shows, for each
query hidden state q, the Euclidean distance to its nearest stored pattern,
min_i ‖q − ρ_i‖ — the quantity the distance energy E(x) = −log Σ_i exp(−‖x − ρ_i‖²) (the paper's
layer energy, Section 4) is dominated by. No public code exists; our choices:

* Exact search, no approximate index: squared distances by matrix products,
  ‖q‖² + ‖m‖² − 2 q·m, with a running minimum over memory chunks. ‖q‖² is the same for every
  memory, so the block holds only ‖m‖² − 2 q·m: one fused product (``addmm`` into a block
  allocated once) and one min/argmin sweep per block, nothing else touches it; ‖q‖² is added,
  and the result clamped at 0 (round-off), on the Q-vector of winners. Peak memory is
  query_chunk × chunk_size floats, never Q × M.
* The products run in float32 (on the GPU when there is one); the distance reported for each
  query's winner is then recomputed directly as ‖q − m*‖, so the expansion's cancellation error
  (large when ‖q‖ ≫ ‖q − m‖) does not reach the histogram.
* Memories may be a numpy memmap: chunks are moved to the device one at a time.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch

from ..devices import resolve_device as _resolve_device


def resolve_device(device: str = "auto") -> torch.device:
    """The `memory.device` setting as a torch device (the shared rule of scalinglab.devices)."""
    return _resolve_device(device, "memory.device")


def _as_matrix(x, name: str) -> np.ndarray | torch.Tensor:
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (count, width); got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} is empty: extract at least one hidden state")
    return x


def nearest_neighbours(queries, memories, chunk_size: int = 65536, query_chunk: int = 4096,
                       device: str | torch.device = "auto", progress=None):
    """Exact nearest memory of every query: (distances float64 (Q,), indices int64 (Q,)).

    `queries` (Q, n) and `memories` (M, n) are numpy arrays (memmaps welcome) or tensors.
    `chunk_size` bounds the memory rows per product, `query_chunk` the query rows; `progress`
    is an optional callable(done_memories) for logging.
    """
    queries = _as_matrix(queries, "queries")
    memories = _as_matrix(memories, "memories")
    if queries.shape[1] != memories.shape[1]:
        raise ValueError(f"width mismatch: queries have n={queries.shape[1]} but memories n="
                         f"{memories.shape[1]}; extract both from the same checkpoint")
    for name, value in (("chunk_size", chunk_size), ("query_chunk", query_chunk)):
        if int(value) < 1:
            raise ValueError(f"memory.{name}={value} must be a positive integer")
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    q = _float32_on(queries, dev)
    Q, M = q.shape[0], memories.shape[0]
    qc, mc = min(int(query_chunk), Q), min(int(chunk_size), M)
    # One block (and one min/argmin pair) for the whole search; ragged last chunks use a
    # contiguous prefix of the same storage.
    block = torch.empty(qc * mc, device=dev)
    val = torch.empty(qc, device=dev)
    arg = torch.empty(qc, dtype=torch.long, device=dev)
    best_sq = torch.full((Q,), math.inf, device=dev)  # min over memories of ‖m‖² − 2 q·m, then + ‖q‖²
    best_idx = torch.zeros(Q, dtype=torch.long, device=dev)
    for m0 in range(0, M, mc):
        m = _float32_on(memories[m0:m0 + mc], dev)
        m_sq = torch.linalg.vector_norm(m, dim=1).square_()[None]  # once per chunk, not per block
        for q0 in range(0, Q, qc):
            qs = q[q0:q0 + qc]
            d = block[:qs.shape[0] * m.shape[0]].view(qs.shape[0], m.shape[0])
            torch.addmm(m_sq, qs, m.T, beta=1.0, alpha=-2.0, out=d)
            v, a = val[:qs.shape[0]], arg[:qs.shape[0]]
            torch.min(d, dim=1, out=(v, a))
            best, where = best_sq[q0:q0 + qc], best_idx[q0:q0 + qc]
            better = v < best  # strict: the earliest memory wins a tie, as in one global argmin
            best.copy_(torch.where(better, v, best))
            where.copy_(torch.where(better, a + m0, where))
        if progress is not None:
            progress(min(m0 + mc, M))
    best_sq.add_(torch.linalg.vector_norm(q, dim=1).square_()).clamp_(min=0.0)
    # exact distance to the winner, free of the expansion's cancellation error
    idx = best_idx.cpu().numpy()
    if torch.is_tensor(memories):
        rows = memories[best_idx.to(memories.device)].detach().cpu().double().numpy()
    else:  # fancy indexing reads only the Q winning rows of a memmap
        rows = np.asarray(memories[idx], dtype=np.float64)
    qd = q.detach().cpu().double().numpy()
    return np.linalg.norm(qd - rows, axis=1), idx


def _float32_on(x, dev: torch.device) -> torch.Tensor:
    """x as a float32 tensor on dev, copying only when it is not one already."""
    if not torch.is_tensor(x):
        x = np.asarray(x)
        if x.dtype != np.float32 or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x, dtype=np.float32)
        if not x.flags.writeable:  # a read-only memmap: torch wants writable memory, we only read
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return torch.from_numpy(x).to(dev)
        x = torch.from_numpy(x)
    return x.to(dev, torch.float32)


def histogram_table(distances: np.ndarray, bins: int = 100) -> "pd.DataFrame":
    """Counts and density of nearest distances in `bins` equal-width bins over [min, max]."""
    import pandas as pd

    if bins < 1:
        raise ValueError(f"memory.histogram_bins={bins} must be >= 1")
    counts, edges = np.histogram(distances, bins=bins)
    width = np.diff(edges)
    return pd.DataFrame({"bin_left": edges[:-1], "bin_right": edges[1:], "count": counts,
                         "density": counts / (counts.sum() * width)})


def summary_statistics(distances: np.ndarray, n: int) -> dict:
    """Mean, spread and quantiles of nearest distances beside both radii for width `n`."""
    from .radius import theoretical_radius, unit_ball_radius

    d = np.asarray(distances, dtype=np.float64)
    q = np.quantile(d, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
    r_theory, r_exact = theoretical_radius(n), unit_ball_radius(n)
    return {
        "n_embd": int(n), "queries": int(d.size),
        "mean": float(d.mean()), "std": float(d.std()), "min": float(d.min()), "max": float(d.max()),
        "quantiles": {f"q{int(p * 100):02d}": float(v)
                      for p, v in zip([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99], q)},
        "radius_theoretical": r_theory, "radius_unit_ball": r_exact,
        "fraction_below_radius": float((d < r_exact).mean()),
    }


def state_scale(queries, memories, distances, n: int, near_fraction: float = 0.1) -> dict:
    """The states' scale beside the distances: sqrt(n/(2πe)) is the radius of a unit-volume ball,
    a length in the states' own units, which the final LayerNorm's learned gain sets (without a
    gain a LayerNorm output has norm exactly sqrt(n)). Reported: the mean state norm, the RMS
    coordinate (the effective gain), the median distance in units of that gain, and the fraction
    of queries closer to a memory than `near_fraction` x sqrt(n/(2πe)) (near-copies)."""
    from .radius import theoretical_radius

    def norms(x, rows=65536):  # in chunks: the memories may be a memmap of millions of rows
        return np.concatenate([np.linalg.norm(np.asarray(x[i:i + rows], dtype=np.float64), axis=1)
                               for i in range(0, x.shape[0], rows)])

    m_norm, q_norm = norms(memories), norms(queries)
    d = np.asarray(distances, dtype=np.float64)
    rms = float(np.sqrt(np.mean(m_norm ** 2) / n))
    return {"state_norm_mean": float(m_norm.mean()), "query_norm_mean": float(q_norm.mean()),
            "state_rms_coordinate": rms,
            "median_over_rms_coordinate": float(np.median(d) / rms) if rms > 0 else float("nan"),
            "near_copy_threshold": near_fraction * theoretical_radius(n),
            "fraction_near_copies": float((d < near_fraction * theoretical_radius(n)).mean())}


def matmul_rate(device: str | torch.device = "auto", size: int = 2048, repeats: int = 5) -> float:
    """Measured float32 matrix-product rate of the device in FLOP/s (2·size³ per product)."""
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    a = torch.randn(size, size, device=dev)
    b = torch.randn(size, size, device=dev)
    a @ b  # warm-up
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    return 2 * size ** 3 * repeats / (time.perf_counter() - t0)
