"""Last-layer hidden states at next-token positions (Niu et al. 2024, Section 6.1).

The paper's histogram compares hidden states of validation text (queries) with those of training
text (the stored patterns). It gives no sampling procedure, so ours is:

* A token file is cut into non-overlapping windows of ``context`` tokens (capped at the model's
  block size); ``ceil(count / positions_per_window)`` windows are drawn without replacement
  (seeded), and in each, ``positions_per_window`` distinct positions p in
  [min_context, context − 2] — every state sees at least ``min_context`` tokens of its own
  document stream, and its next token p + 1 lies inside the window. Windows never overlap, so no
  two states share a position.
* The state at p is the last transformer block's output at p, the vector the output head reads to
  predict token p + 1, taken after the final LayerNorm (``final_layer_norm: true``, what the head
  sees) or before it (the raw residual stream) — a config choice.

Checkpoints: this pipeline's own runs (:func:`own_checkpoint`, through
:func:`scalinglab.train.checkpoint.load_model`) and OpenAI's GPT-2 through ``transformers``
(:func:`pretrained_checkpoint`, optional extra ``hub``; offline it raises :class:`HubUnavailable`
with a one-line message).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


class HubUnavailable(RuntimeError):
    """OpenAI's GPT-2 weights cannot be loaded here (no `transformers`, or the hub unreachable)."""


@dataclass
class Checkpoint:
    name: str
    n_embd: int
    vocab_size: int
    block_size: int
    states: Callable[[torch.Tensor], torch.Tensor]  # (B, T) token ids -> (B, T, n_embd)
    device: torch.device


@dataclass
class PositionPlan:
    window_starts: np.ndarray  # (W,) first token of each window
    positions: list  # per window: sorted positions inside it
    context: int

    @property
    def count(self) -> int:
        return sum(len(p) for p in self.positions)


def plan_positions(n_tokens: int, count: int, context: int, positions_per_window: int,
                   min_context: int, seed: int, what: str, source: str = "the token file") -> PositionPlan:
    """Seeded choice of `count` distinct next-token positions (see the module docstring)."""
    if count < 1:
        raise ValueError(f"{what}={count} must be >= 1")
    usable = context - 1 - min_context  # positions min_context .. context-2
    if usable < 1:
        raise ValueError(f"memory.min_context={min_context} leaves no positions in windows of {context} "
                         f"tokens: lower memory.min_context below {context - 1}")
    per = min(positions_per_window, usable)
    windows = n_tokens // context
    need = math.ceil(count / per)
    if need > windows:
        raise ValueError(
            f"{what}={count} exceeds the data in {source}: {n_tokens} tokens give {windows} windows of "
            f"{context} x {per} positions = {windows * per} states; lower it to at most {windows * per}")
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(windows, need, replace=False))
    positions, left = [], count
    for _ in chosen:
        k = min(per, left)
        positions.append(np.sort(rng.choice(np.arange(min_context, context - 1), k, replace=False)))
        left -= k
    return PositionPlan(chosen * context, positions, context)


def plan_rows(plan: PositionPlan) -> np.ndarray:
    """(count,) absolute token index of each planned state's position, in the row order of
    :func:`extract_states`' output."""
    return np.concatenate([start + np.asarray(pos, dtype=np.int64)
                           for start, pos in zip(plan.window_starts, plan.positions)])


def shared_suffix(query_tokens: np.ndarray, query_rows: np.ndarray, memory_tokens: np.ndarray,
                  memory_rows: np.ndarray, max_length: int) -> np.ndarray:
    """Per query: how many tokens its context and its nearest memory's context share at their
    ends (0 when the tokens at the two positions differ, up to `max_length`). `query_rows` and
    `memory_rows` are the paired absolute token positions (the memory row of each query's nearest
    neighbour). A model whose state depends on only the last few tokens maps contexts that end
    alike to nearly the same state: this says how often a near-zero distance is such a repeat."""
    q = np.asarray(query_rows, dtype=np.int64)
    m = np.asarray(memory_rows, dtype=np.int64)
    out = np.zeros(q.size, dtype=np.int64)
    alive = np.ones(q.size, dtype=bool)
    for k in range(max_length):
        ok = alive & (q - k >= 0) & (m - k >= 0)
        same = np.zeros(q.size, dtype=bool)
        same[ok] = query_tokens[q[ok] - k] == memory_tokens[m[ok] - k]
        out += same
        alive = same
        if not alive.any():
            break
    return out


@torch.no_grad()
def extract_states(checkpoint: Checkpoint, tokens: np.ndarray, plan: PositionPlan, out: np.ndarray,
                   batch_size: int = 8, log: Callable[[str], None] | None = None) -> np.ndarray:
    """Fill `out` (plan.count, n_embd) with the checkpoint's hidden states at the planned positions."""
    if out.shape != (plan.count, checkpoint.n_embd):
        raise ValueError(f"output shape {out.shape} != ({plan.count}, {checkpoint.n_embd})")
    row, t0, done_tokens = 0, time.perf_counter(), 0
    n_windows = len(plan.window_starts)
    for b0 in range(0, n_windows, batch_size):
        starts = plan.window_starts[b0:b0 + batch_size]
        pos = plan.positions[b0:b0 + batch_size]
        T = int(max(p.max() for p in pos)) + 1  # only the prefix the chosen positions need
        ids = tokens[starts[:, None] + np.arange(T)].astype(np.int64)
        if ids.max() >= checkpoint.vocab_size:
            raise ValueError(f"token id {int(ids.max())} is outside {checkpoint.name}'s vocabulary "
                             f"({checkpoint.vocab_size}): use token data from the checkpoint's tokenizer")
        h = checkpoint.states(torch.from_numpy(ids).to(checkpoint.device))
        if h.shape[-1] != checkpoint.n_embd:
            raise ValueError(f"{checkpoint.name} returned width {h.shape[-1]} but declares "
                             f"n_embd={checkpoint.n_embd}: the checkpoint is inconsistent")
        h = h.float().cpu().numpy()
        for i, p in enumerate(pos):
            out[row:row + len(p)] = h[i, p]
            row += len(p)
        done_tokens += ids.size
        if log is not None and (b0 // batch_size) % 50 == 0:
            rate = done_tokens / max(time.perf_counter() - t0, 1e-9)
            log(f"{checkpoint.name}: {min(b0 + batch_size, n_windows)}/{n_windows} windows, "
                f"{row}/{plan.count} states, {rate:,.0f} tokens/s")
    return out


def own_checkpoint(run_dir: str, final_layer_norm: bool, device: torch.device) -> Checkpoint:
    """A finished run of this pipeline (summary.json + model.safetensors)."""
    from scalinglab.train.checkpoint import load_model

    model = load_model(run_dir, map_location="cpu").to(device).eval()
    cfg = model.config
    return Checkpoint(name=str(run_dir).rstrip("/").split("/")[-1], n_embd=cfg.n_embd,
                      vocab_size=cfg.vocab_size, block_size=cfg.block_size,
                      states=lambda idx: model.hidden_states(idx, final_layer_norm=final_layer_norm),
                      device=device)


def pretrained_checkpoint(name: str, final_layer_norm: bool, device: torch.device) -> Checkpoint:
    """OpenAI's GPT-2 (`gpt2`, `gpt2-medium`, ...) from the Hugging Face hub via `transformers`."""
    try:
        from transformers import GPT2Model
    except ImportError:
        raise HubUnavailable(f"OpenAI {name} needs `transformers` (pip install 'scalinglab[hub]'); "
                             f"skipping it, the analysis runs on own checkpoints") from None
    try:
        model = GPT2Model.from_pretrained(name).to(device).eval()
    except Exception as exc:  # offline: OSError / connection errors, phrased differently by version
        first = (str(exc).strip().splitlines() or [repr(exc)])[0][:160]
        raise HubUnavailable(f"OpenAI {name} could not be loaded from the Hugging Face hub ({first}); "
                             f"skipping it, the analysis runs on own checkpoints") from None
    captured = {}
    # the input of ln_f is the last block's raw output (HF applies ln_f inside GPT2Model)
    model.ln_f.register_forward_hook(lambda mod, args, out: captured.__setitem__("pre", args[0]))

    def states(idx):
        last = model(input_ids=idx).last_hidden_state
        return last if final_layer_norm else captured["pre"]

    cfg = model.config
    return Checkpoint(name=f"openai-{name}", n_embd=cfg.n_embd, vocab_size=cfg.vocab_size,
                      block_size=cfg.n_positions, states=states, device=device)
