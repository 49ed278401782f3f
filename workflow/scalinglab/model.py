"""The GPT-2 family (Radford et al. 2019), nanoGPT-style: one file, read top to bottom.

Pre-LayerNorm transformer blocks, learned position embeddings, GELU MLP of width 4·n_embd,
weight tying between the token embedding and the output head, GPT-2 initialisation (normal(0,
0.02), residual projections scaled by 1/sqrt(2·n_layer)). Attention goes through
``F.scaled_dot_product_attention`` so CUDA picks the flash kernel.

Parameter and FLOP conventions live in :mod:`scalinglab.counting`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass(frozen=True)
class GPTConfig:
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
    block_size: int = 1024
    vocab_size: int = 50257  # GPT-2 BPE
    bias: bool = True  # GPT-2 has biases in Linear and LayerNorm
    dropout: float = 0.0
    # Embedding/head rows are padded to a multiple of this (nanoGPT: 50257 -> 50304, so the head's
    # matmul has tensor-core-friendly shapes). Padded rows start at zero, are never looked up, and
    # their logits are cut off before the loss: the loss and the counts of scalinglab.counting
    # are those of vocab_size.
    vocab_multiple: int = 1

    def __post_init__(self):
        for name in ("n_layer", "n_head", "n_embd", "block_size", "vocab_size", "vocab_multiple"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"GPTConfig.{name}={value!r} must be a positive integer")
        if self.n_embd % self.n_head:
            raise ValueError(
                f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}: "
                f"pick n_head among the divisors of n_embd")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout={self.dropout} must be in [0, 1)")

    @property
    def padded_vocab_size(self) -> int:
        return -(-self.vocab_size // self.vocab_multiple) * self.vocab_multiple

    def to_dict(self) -> dict:
        return asdict(self)


# Built-in presets (the ladders of config.yaml / demo.yaml add to these by name).
PRESETS: dict[str, dict] = {
    "gpt2": dict(n_layer=12, n_head=12, n_embd=768),  # 124M
    "gpt2-medium": dict(n_layer=24, n_head=16, n_embd=1024),  # 350M
}


def model_shape(name: str, ladder: dict | None = None) -> dict:
    """(n_layer, n_head, n_embd) of a named model: the config ladder first, then the presets."""
    ladder = ladder or {}
    if name in ladder:
        return {k: int(ladder[name][k]) for k in ("n_layer", "n_head", "n_embd")}
    if name in PRESETS:
        return dict(PRESETS[name])
    known = sorted(set(ladder) | set(PRESETS))
    raise ValueError(f"unknown model {name!r}: define it under `models:` in the config "
                     f"(known: {', '.join(known)})")


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """Mean cross-entropy in nats of (rows, ≥ vocab_size) logits over their first vocab_size columns.

    float32 logits (CPU, fp32 runs) go straight to ``F.cross_entropy``. Low-precision logits (bf16
    or fp16 autocast) go through :class:`ChunkedCrossEntropy`, which works in float32 one block of
    rows at a time and keeps only the low-precision logits for the backward pass, instead of a full
    float32 copy plus a full float32 log-softmax. Under ``torch.compile`` the plain call is kept:
    inductor fuses the upcast into the softmax kernels itself.
    """
    if logits.dtype in (torch.float32, torch.float64) or torch.compiler.is_compiling():
        if logits.size(-1) != vocab_size:
            logits = logits[:, :vocab_size]
        return F.cross_entropy(logits.float(), targets)
    return ChunkedCrossEntropy.apply(logits, targets, vocab_size)


class ChunkedCrossEntropy(torch.autograd.Function):
    """Cross-entropy of low-precision logits, computed in float32 blocks of rows.

    Saves the logits (as they are), the targets and one float32 log-sum-exp per row; the gradient
    softmax - onehot is rebuilt block by block in the backward pass. Peak extra memory: one float32
    block of at most ``block_values`` = 2**26 values (256 MB), whatever the batch.
    """

    block_values = 2**26

    @staticmethod
    def forward(ctx, logits, targets, vocab_size):
        rows = max(1, ChunkedCrossEntropy.block_values // vocab_size)
        lse = torch.empty(logits.size(0), dtype=torch.float32, device=logits.device)
        for r0 in range(0, logits.size(0), rows):
            lse[r0:r0 + rows] = torch.logsumexp(logits[r0:r0 + rows, :vocab_size].float(), dim=1)
        picked = logits.gather(1, targets[:, None]).squeeze(1).float()
        ctx.save_for_backward(logits, targets, lse)
        ctx.vocab_size, ctx.rows = vocab_size, rows
        return (lse - picked).mean()

    @staticmethod
    def backward(ctx, grad_loss):
        logits, targets, lse = ctx.saved_tensors
        V, rows, n = ctx.vocab_size, ctx.rows, logits.size(0)
        grad = torch.zeros_like(logits)  # padding columns get no gradient
        scale = grad_loss.float() / n
        for r0 in range(0, n, rows):
            block = torch.exp(logits[r0:r0 + rows, :V].float() - lse[r0:r0 + rows, None])
            block[torch.arange(block.size(0), device=block.device), targets[r0:r0 + rows]] -= 1.0
            grad[r0:r0 + rows, :V] = block.mul_(scale)
        return grad, None, None


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.dropout = config.dropout

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B, T, C) -> (B, n_head, T, head_dim)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate="tanh")  # GPT-2's GELU
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(config.vocab_size, config.n_embd),
            wpe=nn.Embedding(config.block_size, config.n_embd),
            drop=nn.Dropout(config.dropout),
            h=nn.ModuleList([Block(config) for _ in range(config.n_layer)]),
            ln_f=nn.LayerNorm(config.n_embd, bias=config.bias),
        ))
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.padded_vocab_size > config.vocab_size:
            # Built at vocab_size first so that the constructors draw the same random numbers with
            # or without padding; the padded matrix itself draws none (zeros, then _init_weights).
            self.lm_head.weight = nn.Parameter(torch.zeros(config.padded_vocab_size, config.n_embd))
            self.lm_head.out_features = self.transformer.wte.num_embeddings = config.padded_vocab_size
        self.transformer.wte.weight = self.lm_head.weight  # weight tying (GPT-2)
        self.apply(self._init_weights)
        # GPT-2: residual projections scaled so the residual stream's variance does not grow with depth
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            w = module.weight
            if w is self.lm_head.weight:
                # Only the real vocabulary rows draw random numbers, exactly those an unpadded
                # model draws, so padding changes no initial value; the padding rows stay zero.
                w = w.data[:self.config.vocab_size]
            nn.init.normal_(w, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def _trunk(self, idx):
        B, T = idx.shape
        if T > self.config.block_size:
            raise ValueError(f"sequence length {T} exceeds block_size={self.config.block_size}")
        pos = torch.arange(T, dtype=torch.long, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for block in self.transformer.h:
            x = block(x)
        return x

    def hidden_states(self, idx, final_layer_norm: bool = True):
        """Last-layer outputs (B, T, n_embd), before or after the final LayerNorm."""
        x = self._trunk(idx)
        return self.transformer.ln_f(x) if final_layer_norm else x

    def forward(self, idx, targets=None):
        """Logits (B, T, vocab) and the mean next-token cross-entropy in nats (None without targets).

        With a padded vocabulary the head computes every padded column (aligned shapes) and the
        returned logits are a view of the first vocab_size columns, so nothing downstream, loss or
        argmax, ever sees a padding token.
        """
        logits = self.lm_head(self.hidden_states(idx, final_layer_norm=True))
        loss = None
        if targets is not None:
            loss = cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1),
                                 self.config.vocab_size)
        if logits.size(-1) != self.config.vocab_size:
            logits = logits[..., :self.config.vocab_size]
        return logits, loss

    def configure_optimizer(self, lr, weight_decay, betas, fused=False):
        """AdamW with decay on matrices only (not biases, LayerNorm gains), as in GPT-2/nanoGPT."""
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [dict(params=decay, weight_decay=weight_decay),
                  dict(params=no_decay, weight_decay=0.0)]
        return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=fused)
