"""Trainer settings: the `train` section of the config (schema holds the defaults), validated here
so that a bad value fails with one line naming it, before any step runs."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..counting import FLOPS_CONVENTIONS


@dataclass(frozen=True)
class TrainConfig:
    block_size: int = 1024
    batch_tokens: int = 524288  # global tokens per optimizer step (all devices, all micro-steps)
    micro_batch: int = 12  # sequences per device per forward/backward: the OOM knob
    max_steps: int = 600000  # non-budget runs; max_tokens takes precedence when set
    max_tokens: int | None = None
    lr: float = 6e-4
    min_lr: float = 6e-5
    warmup_steps: int = 2000
    lr_decay_steps: int | None = None  # None: decay over the whole run
    beta1: float = 0.9
    beta2: float = 0.95
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    dropout: float = 0.0
    bias: bool = True
    eval_interval: int = 1000
    eval_batches: int = 20  # micro-batches for each of train (held-in) and val loss
    log_interval: int = 10
    checkpoint_interval: int = 1000
    keep_checkpoints: int = 3
    compile: bool = False
    flops_convention: str = "6N"
    device: str = "auto"  # auto: cuda:<LOCAL_RANK> if available, else cpu
    dtype: str = "auto"  # auto: bf16 autocast on CUDA, fp32 on CPU; fp16 scales the loss (GradScaler)
    vocab_multiple: int = 64  # pad embedding/head rows to a multiple (nanoGPT: 50257 -> 50304); loss unchanged

    @classmethod
    def from_dict(cls, d: dict, where: str = "train") -> "TrainConfig":
        d = {k: v for k, v in d.items() if k != "resources"}  # resources are the rule's concern
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown key {where}.{unknown[0]}; known keys: {', '.join(sorted(known))}")
        cfg = cls(**d)
        cfg.check(where)
        return cfg

    def check(self, where: str = "train"):
        positive = ["block_size", "batch_tokens", "micro_batch", "max_steps", "eval_interval",
                    "eval_batches", "log_interval", "checkpoint_interval", "keep_checkpoints",
                    "vocab_multiple"]
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{where}.{name}={getattr(self, name)!r} must be >= 1")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"{where}.max_tokens={self.max_tokens!r} must be >= 1 (or null)")
        if not 0 < self.min_lr <= self.lr:
            raise ValueError(f"{where}: need 0 < min_lr <= lr, got min_lr={self.min_lr}, lr={self.lr}")
        if self.flops_convention not in FLOPS_CONVENTIONS:
            raise ValueError(f"{where}.flops_convention={self.flops_convention!r}; "
                             f"choose one of {', '.join(FLOPS_CONVENTIONS)}")
        if self.dtype not in ("auto", "bf16", "fp16", "fp32"):
            raise ValueError(f"{where}.dtype={self.dtype!r}; choose auto, bf16, fp16 or fp32")

    def grad_accum(self, world_size: int) -> int:
        """Micro-steps per optimizer step so that the global batch is exactly batch_tokens."""
        per_micro = self.micro_batch * self.block_size * world_size
        if self.batch_tokens % per_micro:
            raise ValueError(
                f"train.batch_tokens={self.batch_tokens} is not a multiple of micro_batch x block_size"
                f" x devices = {self.micro_batch} x {self.block_size} x {world_size} = {per_micro}:"
                f" change batch_tokens or micro_batch")
        return self.batch_tokens // per_micro

    def to_dict(self) -> dict:
        return asdict(self)


def merge_train(defaults: dict, override: dict | None) -> dict:
    """Experiment-level `train` overrides on top of the global `train` section (nested dicts merge)."""
    out = dict(defaults)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out
