"""The network of Michaud et al. 2023's sparse-parity experiments: an MLP with one ReLU hidden layer.

A sweep trains many such MLPs side by side. :class:`MLPStack` holds them as one set of tensors so
that a step is a few large matmuls instead of many small ones; the summed loss has a block-diagonal
gradient and Adam is elementwise, so each member trains exactly as it would alone.
"""
from __future__ import annotations

import torch
from torch import nn


def mlp_parameter_count(input_dim: int, width: int) -> int:
    """Weights and biases of Linear(input_dim, width) -> ReLU -> Linear(width, 2): N in L ∝ N^-α_N."""
    return input_dim * width + width + width * 2 + 2


def one_hidden_layer_mlp(input_dim: int, width: int, seed: int) -> nn.Sequential:
    """A seeded MLP with two output logits (parity 0 / 1); PyTorch's default initialisation."""
    if isinstance(width, bool) or int(width) != width or width < 1:
        raise ValueError(f"quantization: hidden width {width!r} must be an integer >= 1")
    # A private RNG state so that the weights depend on (seed, width) only, not on call order.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return nn.Sequential(nn.Linear(input_dim, int(width)), nn.ReLU(), nn.Linear(int(width), 2))


class MLPStack(nn.Module):
    """M one-hidden-layer MLPs (hidden widths `widths`) evaluated together.

    forward(x): x is [B, d] (every member sees the same batch) or [M, B, d] (each its own batch,
    equal widths only); returns logits [M, B, 2].
    """

    def __init__(self, input_dim: int, widths: list[int], seeds: list[int]):
        super().__init__()
        members = [one_hidden_layer_mlp(input_dim, w, s) for w, s in zip(widths, seeds, strict=True)]
        self.widths = list(widths)
        self.w1 = nn.Parameter(torch.cat([m[0].weight.T for m in members], 1).detach().clone())  # [d, Σw]
        self.b1 = nn.Parameter(torch.cat([m[0].bias for m in members]).detach().clone())        # [Σw]
        self.w2 = nn.Parameter(torch.cat([m[2].weight.T for m in members], 0).detach().clone())  # [Σw, 2]
        self.b2 = nn.Parameter(torch.stack([m[2].bias for m in members]).detach().clone())      # [M, 2]
        owner = torch.repeat_interleave(torch.arange(len(widths)), torch.tensor(self.widths))
        self.register_buffer("owner", nn.functional.one_hot(owner, len(widths)).float())        # [Σw, M]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = len(self.widths)
        if x.dim() == 2:
            h = torch.relu(x @ self.w1 + self.b1)                                  # [B, Σw]
            # Block-diagonal output layer: hidden unit j feeds only the logits of its owner.
            block = (self.owner[:, :, None] * self.w2[:, None, :]).reshape(-1, 2 * m)
            return (h @ block).reshape(-1, m, 2).transpose(0, 1) + self.b2[:, None, :]
        if len(set(self.widths)) != 1:
            raise ValueError("MLPStack: per-member inputs need equal widths")
        w = self.widths[0]
        w1 = self.w1.reshape(-1, m, w).transpose(0, 1)                            # [M, d, w]
        h = torch.relu(torch.bmm(x, w1) + self.b1.reshape(m, 1, w))
        return torch.bmm(h, self.w2.reshape(m, w, 2)) + self.b2[:, None, :]

    @torch.no_grad()
    def select(self, keep: list[int], optimizer: torch.optim.Adam | None = None) -> "MLPStack":
        """A stack of the members `keep` (equal widths), their weights and Adam state carried over.

        Returns the new stack, or (stack, optimizer) when `optimizer` is given. Adam is elementwise
        and members share no parameters, so a kept member trains on as it would in the full
        stack (up to floating-point summation order); dropping finished members saves compute.
        """
        if len(set(self.widths)) != 1:
            raise ValueError("MLPStack.select: members need equal widths")
        m, w = len(self.widths), self.widths[0]
        cols = torch.cat([torch.arange(j * w, (j + 1) * w) for j in keep])
        new = MLPStack.__new__(MLPStack)
        nn.Module.__init__(new)
        new.widths = [w] * len(keep)
        slicers = {"w1": lambda t: t[:, cols], "b1": lambda t: t[cols], "w2": lambda t: t[cols],
                   "b2": lambda t: t[keep]}
        for name, cut in slicers.items():
            setattr(new, name, nn.Parameter(cut(getattr(self, name)).clone()))
        owner = torch.repeat_interleave(torch.arange(len(keep)), torch.tensor(new.widths))
        new.register_buffer("owner", nn.functional.one_hot(owner, len(keep)).float().to(self.w1.device))
        if optimizer is not None:
            fresh = torch.optim.Adam(new.parameters(), **{k: v for k, v in optimizer.defaults.items()
                                                          if k in ("lr", "betas", "eps", "weight_decay")})
            for name, cut in slicers.items():
                old_state = optimizer.state.get(getattr(self, name))
                if old_state:
                    fresh.state[getattr(new, name)] = {
                        k: (v.clone() if k == "step" else cut(v).clone()) for k, v in old_state.items()}
            return new, fresh
        return new

    def member_losses(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of each member, [M]; y is [B] or [M, B]."""
        logits = self(x)
        y = y.expand(logits.shape[:2]) if y.dim() == 1 else y
        ce = nn.functional.cross_entropy(logits.reshape(-1, 2), y.reshape(-1), reduction="none")
        return ce.reshape(logits.shape[:2]).mean(1)
