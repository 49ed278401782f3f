"""Parameter and FLOP counts of the GPT-2 family under explicit, named conventions.

Parameters (for :class:`scalinglab.model.GPTConfig`, weight tying as in GPT-2):

- ``params_total``: every distinct trainable parameter (the tied embedding/head counted once).
  GPT-2 124M: 124,439,808.
- ``params_non_embedding``: Kaplan et al. 2020 (Sec. 2.1) exclude the token and position
  embeddings; ≈ 12·n_layer·n_embd² (plus biases and LayerNorm gains). GPT-2 124M: 85,056,000
  (12·12·768² = 84,934,656).
- ``params_with_head``: Porian et al. 2024 ("Resolving discrepancies in compute-optimal scaling")
  count the output head (vocab·n_embd) in as well, since its matmul is real compute; position
  embeddings still excluded. GPT-2 124M: 123,653,376.

Training FLOPs per token (forward + backward = 3 × forward), keyed by convention name:

- ``"6N"``: 6·params_non_embedding (Kaplan et al. 2020, Eq. 2.1, context term dropped).
- ``"6N_with_head"``: 6·params_with_head (Porian et al. 2024).
- ``"6N+attn"``: 6·params_non_embedding + 12·n_layer·block_size·n_embd (the attention
  score/value products at full context; PaLM App. B, nanoGPT's MFU).
- ``"chinchilla"``: Hoffmann et al. 2022 App. F full count: embeddings, QKV, logits, softmax,
  attention reduction, output projection, MLP and final logits; backward = 2 × forward.

Padded vocabulary (``GPTConfig.vocab_multiple``; the trainer pads to a multiple of 64, so GPT-2's
50257 becomes 50304 as in nanoGPT): every count here uses the real ``vocab_size``. The padding rows
are zero, never looked up and never trained, and their logits are cut off before the loss, so
they are neither parameters nor useful FLOPs; a padded GPT module holds
(padded_vocab_size − vocab_size)·n_embd more numbers than ``params_total`` (GPT-2 small: 47·768 =
36,096, 0.03%), and its head spends that many more multiply-adds per token, which MFU leaves out
(0.03% of the MFU count: MFU is, if anything, understated by that much). For an unpadded
vocabulary nothing changes.

MFU uses :func:`mfu_flops_per_token` = 6·params_with_head + 12·n_layer·block_size·n_embd, the
PaLM / nanoGPT formula, so figures are comparable with published MFUs.
"""
from __future__ import annotations

from .model import GPTConfig


def _block_params(c: GPTConfig) -> int:
    d = c.n_embd
    # Linear weights: qkv 3d², attn proj d², MLP 4d² + 4d²; LayerNorm gains 2d.
    n = 12 * d * d + 2 * d
    if c.bias:  # qkv 3d, proj d, fc 4d, proj d, two LayerNorm biases 2d
        n += 11 * d
    return n


def params_total(c: GPTConfig) -> int:
    d = c.n_embd
    ln_f = 2 * d if c.bias else d
    return c.vocab_size * d + c.block_size * d + c.n_layer * _block_params(c) + ln_f


def params_non_embedding(c: GPTConfig) -> int:
    """Kaplan et al. 2020: all but the token and position embeddings."""
    return params_total(c) - c.vocab_size * c.n_embd - c.block_size * c.n_embd


def params_with_head(c: GPTConfig) -> int:
    """Porian et al. 2024: non-embedding parameters plus the (tied) output head."""
    return params_non_embedding(c) + c.vocab_size * c.n_embd


def param_counts(c: GPTConfig) -> dict[str, int]:
    return dict(params_total=params_total(c), params_non_embedding=params_non_embedding(c),
                params_with_head=params_with_head(c))


def chinchilla_forward_flops_per_token(c: GPTConfig) -> int:
    """Hoffmann et al. 2022, Appendix F, divided by the sequence length (key_size·heads = n_embd,
    ffw_size = 4·n_embd, full unmasked attention)."""
    d, T, V, H = c.n_embd, c.block_size, c.vocab_size, c.n_head
    embeddings = 2 * V * d
    attention = 2 * 3 * d * d + 2 * T * d + 3 * H * T + 2 * T * d + 2 * d * d
    dense = 2 * (d * 4 * d + 4 * d * d)
    logits = 2 * d * V
    return embeddings + c.n_layer * (attention + dense) + logits


FLOPS_CONVENTIONS = {
    "6N": lambda c: 6 * params_non_embedding(c),
    "6N_with_head": lambda c: 6 * params_with_head(c),
    "6N+attn": lambda c: 6 * params_non_embedding(c) + 12 * c.n_layer * c.block_size * c.n_embd,
    "chinchilla": lambda c: 3 * chinchilla_forward_flops_per_token(c),
}


def flops_per_token(c: GPTConfig, convention: str = "6N") -> int:
    """Training FLOPs per token under a named convention (see the module docstring)."""
    if convention not in FLOPS_CONVENTIONS:
        raise ValueError(f"unknown FLOP convention {convention!r}; "
                         f"choose one of {', '.join(FLOPS_CONVENTIONS)}")
    return int(FLOPS_CONVENTIONS[convention](c))


def mfu_flops_per_token(c: GPTConfig) -> int:
    """FLOPs per token that MFU divides by the peak: PaLM App. B / nanoGPT (6N_head + attention)."""
    return 6 * params_with_head(c) + 12 * c.n_layer * c.block_size * c.n_embd


def tokens_for_budget(c: GPTConfig, budget: float, convention: str = "6N") -> int:
    """Training tokens D with D·flops_per_token = budget (C = 6ND for the default convention)."""
    if budget <= 0:
        raise ValueError(f"FLOP budget {budget!r} must be positive")
    return int(budget // flops_per_token(c, convention))
