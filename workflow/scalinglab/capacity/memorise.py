"""Train one tiny GPT (scalinglab.model) on D patterns until it memorises them or the step budget ends.

The training set is the evaluation set: memorisation is measured on the patterns themselves. The
criterion is a loss: the mean cross-entropy of the value tokens, evaluated on all D patterns, at or
below ``criterion_fraction * ln(vocab_size)`` (a fraction of the entropy of a value token, the
loss of a model that knows nothing). Training stops at the first evaluation meeting it, or after
``max_steps``, or earlier when it has stalled: ``stall_evals`` evaluations in a row without lowering
the best loss by ``stall_improvement`` (relative). The stall stop saves the cost of hopeless runs
(a model below capacity settles on a plateau above the threshold), and it tells the two kinds of
failure apart: a failure on a plateau (``stalled``) is the capacity's, one that ran to ``max_steps``
still improving is the step budget's (scalinglab.capacity.search censors such a bracket, "steps"). AdamW without weight decay (decay would fight
memorisation), constant learning rate after a short warmup, minibatches drawn without replacement
per epoch (full batch when D <= batch_size), dropout 0.

The learning rate may scale with width: ``lr * lr_width / n_embd`` when ``lr_width`` > 0 (Adam's
rule in muP, Yang et al. 2022: a per-coordinate update of fixed size moves a wider layer's output
more, so the step shrinks as 1/width). One fixed rate over a tenfold range of widths is a
trainability confound (measured on the demo's patterns: lr 0.03 trains width 8 but leaves width 28
and 32 at chance, ln 32, for 1500 steps on D = 4096, where 0.003 learns), and it would make N_min
measure the optimiser rather than the capacity.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from scalinglab.capacity.patterns import PatternSpec, inputs_and_targets
from scalinglab.counting import params_total
from scalinglab.model import GPT, GPTConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSpec:
    max_steps: int
    lr: float
    batch_size: int
    eval_every: int
    criterion_fraction: float
    warmup_steps: int = 0
    stall_evals: int = 0
    stall_improvement: float = 0.01
    lr_width: int = 0

    def lr_for(self, n_embd: int) -> float:
        """The learning rate of a model of width n_embd (``lr`` at width ``lr_width``, or everywhere if 0)."""
        return self.lr * self.lr_width / n_embd if self.lr_width else self.lr

    def __post_init__(self):
        for name in ("max_steps", "batch_size", "eval_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or int(v) != v or v < 1:
                raise ValueError(f"capacity.train.{name}={v!r} must be an integer >= 1")
        if not self.lr > 0:
            raise ValueError(f"capacity.train.lr={self.lr!r} must be > 0")
        if isinstance(self.stall_evals, bool) or int(self.stall_evals) != self.stall_evals or self.stall_evals < 0:
            raise ValueError(f"capacity.train.stall_evals={self.stall_evals!r} must be an integer >= 0 (0 = never)")
        if isinstance(self.lr_width, bool) or int(self.lr_width) != self.lr_width or self.lr_width < 0:
            raise ValueError(f"capacity.train.lr_width={self.lr_width!r} must be an integer >= 0 (0 = one rate)")
        if not 0 <= self.stall_improvement < 1:
            raise ValueError(f"capacity.train.stall_improvement={self.stall_improvement!r} must be in [0, 1)")
        if not 0 < self.criterion_fraction < 1:
            raise ValueError(f"capacity.criterion_fraction={self.criterion_fraction!r} must be in (0, 1)")


def gpt_config(shape: dict, spec: PatternSpec) -> GPTConfig:
    return GPTConfig(n_layer=int(shape["n_layer"]), n_head=int(shape["n_head"]), n_embd=int(shape["n_embd"]),
                     block_size=spec.seq_len - 1, vocab_size=spec.vocab_size, bias=True, dropout=0.0)


def model_params(shape: dict, spec: PatternSpec) -> int:
    """Every trainable parameter (tied embedding counted once): the memory lives everywhere."""
    return params_total(gpt_config(shape, spec))


@torch.no_grad()
def value_loss(model: GPT, x: torch.Tensor, y: torch.Tensor, chunk: int = 8192) -> float:
    """Mean cross-entropy (nats) over all value tokens of all patterns."""
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(x), chunk):
        logits, _ = model(x[i:i + chunk])
        ce = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), y[i:i + chunk].reshape(-1),
                             ignore_index=-100, reduction="sum")
        total += float(ce)
        count += int((y[i:i + chunk] != -100).sum())
    model.train()
    return total / count


def memorise(patterns: np.ndarray, spec: PatternSpec, shape: dict, train: TrainSpec, seed: int,
             device: str = "cpu") -> dict:
    """Train one model; returns its record: params, met (bool), loss, threshold, steps, seconds."""
    t0 = time.process_time()
    config = gpt_config(shape, spec)
    torch.manual_seed(seed)
    model = GPT(config).to(device)
    x, y = (t.to(device) for t in inputs_and_targets(patterns, spec))
    n = len(x)
    threshold = train.criterion_fraction * spec.nats_per_value_token
    lr = train.lr_for(config.n_embd)
    opt = model.configure_optimizer(lr=lr, weight_decay=0.0, betas=(0.9, 0.98))
    gen = torch.Generator().manual_seed(seed)
    batch = min(train.batch_size, n)
    order, pos = torch.randperm(n, generator=gen), 0
    loss, step, met, stalled = float("nan"), 0, False, False
    best, since_best = math.inf, 0
    for step in range(1, train.max_steps + 1):
        if train.warmup_steps:
            for g in opt.param_groups:
                g["lr"] = lr * min(1.0, step / train.warmup_steps)
        if batch == n:
            xb, yb = x, y
        else:
            if pos + batch > n:
                order, pos = torch.randperm(n, generator=gen), 0
            idx = order[pos:pos + batch].to(device)
            pos += batch
            xb, yb = x[idx], y[idx]
        logits, _ = model(xb)
        batch_loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), yb.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        batch_loss.backward()
        opt.step()
        if step % train.eval_every == 0 or step == train.max_steps:
            loss = value_loss(model, x, y)
            if (step // train.eval_every) % 10 == 0:  # a progress line every 10 checks
                log.info("D=%d L%dxE%d step %d: value loss %.4f (threshold %.4f)", n, config.n_layer,
                         config.n_embd, step, loss, threshold)
            if loss <= threshold:
                met = True
                break
            if loss < best * (1 - train.stall_improvement):
                best, since_best = loss, 0
            else:
                since_best += 1
                if train.stall_evals and since_best >= train.stall_evals:
                    stalled = True
                    break
    record = dict(n_layer=config.n_layer, n_embd=config.n_embd, n_head=config.n_head,
                  params=params_total(config), lr=lr, met=met, loss=loss, threshold=threshold, steps=step, stalled=stalled,
                  cpu_seconds=round(time.process_time() - t0, 3))
    log.info("D=%d %s params=%d: %s loss %.4f (threshold %.4f) after %d steps%s, %.1f CPU-s", n,
             f"L{config.n_layer}xE{config.n_embd}", record["params"], "memorised" if met else "not memorised",
             loss, threshold, step, " (stalled)" if stalled else "", record["cpu_seconds"])
    return record
