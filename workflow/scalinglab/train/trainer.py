"""The training loop: one run from a spec dict to metrics.csv, summary.json, model.safetensors.

A spec (what ``python -m scalinglab.train --spec`` reads) is::

    {"run_dir": ..., "train_data": <subset sidecar .json>, "val_data": <val sidecar .json>,
     "identity": {experiment, run, model, fraction, seed, budget},
     "model": {n_layer, n_head, n_embd}, "train": {<TrainConfig keys>}, "threads": int}

The same code runs single-process (CPU or one GPU) and under ``torchrun`` (DDP; NCCL on GPU, gloo
on CPU). Rank 0 writes every file. Determinism: model init and dropout come from torch's RNG
seeded by the run seed; the data order is a pure function of (seed, sample position); checkpoints
carry every RNG state, so a resumed CPU run reproduces the uninterrupted run bit for bit (only
the wall-clock columns tokens_per_s and mfu differ).
"""
from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist

from .. import counting
from ..devices import current_device_name, peak_flops, resolve_device
from ..model import GPT, GPTConfig
from . import checkpoint as ckpt
from .config import TrainConfig
from .schedule import warmup_cosine
from .data import EpochSampler, TokenWindows, fixed_windows, open_tokens
from .preflight import ConfigError, check_world

METRICS_COLUMNS = ["step", "tokens", "flops", "flops_convention", "epoch", "lr", "train_loss",
                   "val_loss", "grad_norm", "tokens_per_s", "mfu"]


class TrainingError(RuntimeError):
    """A run that cannot go on (diverged, out of memory, incompatible checkpoint)."""


def lr_at(step: int, cfg: TrainConfig, total_steps: int) -> float:
    """The shared warmup-cosine schedule (scalinglab.train.schedule) for 0-based optimizer step."""
    return warmup_cosine(step, cfg.lr, cfg.min_lr, min(cfg.warmup_steps, total_steps),
                         cfg.lr_decay_steps or total_steps)


def plan_steps(cfg: TrainConfig, model_cfg: GPTConfig, budget: float | None) -> tuple[int, dict]:
    """Optimizer steps of a run: from a FLOP budget (tokens = budget / flops_per_token under
    cfg.flops_convention, 6N by default), else max_tokens, else max_steps."""
    if budget is not None:
        target = counting.tokens_for_budget(model_cfg, budget, cfg.flops_convention)
        how = f"budget / flops_per_token[{cfg.flops_convention}]"
    elif cfg.max_tokens is not None:
        target, how = cfg.max_tokens, "train.max_tokens"
    else:
        return cfg.max_steps, dict(tokens_rule="train.max_steps")
    steps = max(1, round(target / cfg.batch_tokens))
    return steps, dict(tokens_rule=how, tokens_target=int(target))


class Distributed:
    """torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK), or a single process."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        # Under torchrun even one process runs the multi-device path (process group, DDP, sharding)
        self.enabled = self.world > 1 or "TORCHELASTIC_RUN_ID" in os.environ

    def init(self, device: str):
        if self.enabled and not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def all_sum(self, t: torch.Tensor) -> torch.Tensor:
        if self.enabled:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t

    def close(self):
        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()


def _write_atomic(path: Path, text: str):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _metrics_csv(rows: list[dict]) -> str:
    import io
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=METRICS_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:  # repr keeps every bit of a float: resumed == uninterrupted, exactly
        w.writerow({k: repr(v) if isinstance(v, float) else v for k, v in r.items()})
    return buf.getvalue()


def train_run(spec: dict) -> dict:
    """Train one run to completion (resuming if checkpoints exist); returns the summary."""
    run_dir = Path(spec["run_dir"])
    ident = dict(spec["identity"])
    cfg = TrainConfig.from_dict(spec.get("train", {}))
    ddp = Distributed()

    device = str(resolve_device(cfg.device, "train.device"))  # a bare 'cuda' -> cuda:<LOCAL_RANK>
    if device.startswith("cuda"):
        torch.cuda.set_device(torch.device(device))
        torch.backends.cuda.matmul.allow_tf32 = True  # TF32 for any fp32 matmul left over
        torch.backends.cudnn.allow_tf32 = True
    if spec.get("threads"):
        torch.set_num_threads(max(1, int(spec["threads"]) // (1 if device.startswith("cuda") else ddp.world)))
    dtype = cfg.dtype
    if dtype == "auto":
        dtype = "bf16" if device.startswith("cuda") and torch.cuda.is_bf16_supported() else "fp32"
    device_type = "cuda" if device.startswith("cuda") else "cpu"
    autocast = (torch.autocast(device_type=device_type, dtype={"bf16": torch.bfloat16, "fp16": torch.float16}[dtype])
                if dtype != "fp32" else contextlib.nullcontext())
    # fp16's narrow exponent underflows small gradients: scale the loss (a no-op unless fp16)
    scaler = torch.amp.GradScaler(device_type, enabled=dtype == "fp16")
    ddp.init(device)

    # ---- data and shapes: everything that can be wrong fails here, before any step ----
    train_tokens, train_meta = open_tokens(spec["train_data"])  # ids < vocab_size checked here
    val_tokens, val_meta = open_tokens(spec["val_data"])
    if val_meta["vocab_size"] != train_meta["vocab_size"]:
        raise ConfigError(f"{spec['val_data']} has vocab_size {val_meta['vocab_size']} but "
                          f"{spec['train_data']} has {train_meta['vocab_size']}: prepare both with one tokenizer")
    model_cfg = GPTConfig(**{k: int(spec["model"][k]) for k in ("n_layer", "n_head", "n_embd")},
                          block_size=cfg.block_size, vocab_size=int(train_meta["vocab_size"]),
                          bias=cfg.bias, dropout=cfg.dropout, vocab_multiple=cfg.vocab_multiple)
    label = f"fraction {ident.get('fraction')} ({spec['train_data']})"
    train_windows = TokenWindows(train_tokens, cfg.block_size, label, device)
    val_windows = TokenWindows(val_tokens, cfg.block_size, f"validation set ({spec['val_data']})", device)
    accum = check_world(cfg, ddp.world)
    total_steps, plan = plan_steps(cfg, model_cfg, ident.get("budget"))
    seed = int(ident.get("seed", 0))
    sampler = EpochSampler(train_windows.n_windows, seed)
    per_step = cfg.micro_batch * accum * ddp.world  # sequences per optimizer step
    # Fixed evaluation samples, split across ranks; the held-in sample is the same for every seed.
    n_eval = cfg.eval_batches * cfg.micro_batch
    eval_sets = {"train_loss": (train_windows, fixed_windows(train_windows.n_windows, n_eval, seed=0)),
                 "val_loss": (val_windows, fixed_windows(val_windows.n_windows, n_eval, seed=None))}
    fpt = counting.flops_per_token(model_cfg, cfg.flops_convention)
    mfu_fpt = counting.mfu_flops_per_token(model_cfg)
    dev_name = current_device_name(device)
    peak = peak_flops(dev_name, dtype if dtype != "fp32" or device == "cpu" else "tf32",
                      cpu_cores=torch.get_num_threads())

    # ---- model, optimizer, resume ----
    torch.manual_seed(seed)
    model = GPT(model_cfg).to(device)
    # Fused AdamW on CPU too (torch >= 2.4): ~10% less CPU per step for the demo's tiny models
    # (benchmarks/DEMO_SWEEP.md), where the optimizer's per-tensor loop is a visible share.
    optimizer = model.configure_optimizer(cfg.lr, cfg.weight_decay, (cfg.beta1, cfg.beta2),
                                          fused=device.startswith(("cuda", "cpu")))
    identity_check = dict(model=model_cfg.to_dict(), train=cfg.to_dict(), seed=seed,
                          total_steps=total_steps, world_size=ddp.world)
    rows: list[dict] = []
    step = 0
    state = ckpt.load_latest_checkpoint(run_dir, map_location="cpu")
    if state is not None:
        saved = state["identity_check"]
        if {k: saved.get(k) for k in identity_check} != identity_check:
            changed = [k for k in identity_check if saved.get(k) != identity_check[k]]
            raise TrainingError(f"checkpoint {state['path']} was written with a different "
                                f"{'/'.join(changed)}: restore the config or delete {run_dir}")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scaler.is_enabled() and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        step, rows = int(state["step"]), list(state["metrics"])
        ckpt.set_rng_state(state["rng"])
        if ddp.is_main:
            print(f"[train] resumed {run_dir} from {state['path']} at step {step}/{total_steps}", flush=True)
        del state
    train_model = torch.compile(model) if cfg.compile else model
    if ddp.enabled:
        train_model = torch.nn.parallel.DistributedDataParallel(
            train_model, device_ids=[torch.device(device).index] if device.startswith("cuda") else None)

    @torch.no_grad()
    def evaluate() -> dict:
        model.eval()
        out = {}
        for name, (windows, ids) in eval_sets.items():
            mine = ids[ddp.rank::ddp.world]
            total = torch.zeros(2, dtype=torch.float64, device=device)  # (sum of losses, count)
            for i in range(0, len(mine), cfg.micro_batch):
                x, y = windows.batch(mine[i:i + cfg.micro_batch])
                with autocast:
                    _, loss = model(x, y)
                total += torch.stack([loss.double() * len(x), torch.tensor(float(len(x)), device=device, dtype=torch.float64)])
            total = ddp.all_sum(total)
            out[name] = float(total[0] / total[1])
        model.train()
        return out

    def record(step: int, lr: float, grad_norm: float, tokens_per_s: float):
        losses = evaluate()
        tokens = step * per_step * cfg.block_size
        mfu = (tokens_per_s * mfu_fpt / (peak * ddp.world)) if peak and tokens_per_s == tokens_per_s else float("nan")
        rows.append(dict(step=step, tokens=tokens, flops=float(tokens * fpt),
                         flops_convention=cfg.flops_convention,
                         epoch=sampler.epochs(step * per_step), lr=lr, **losses,
                         grad_norm=grad_norm, tokens_per_s=tokens_per_s, mfu=mfu))
        if ddp.is_main:
            r = rows[-1]
            print(f"[train] step {step}/{total_steps} epoch {r['epoch']:.2f} train {r['train_loss']:.4f} "
                  f"val {r['val_loss']:.4f} tok/s {tokens_per_s:,.0f} mfu {mfu:.1%}", flush=True)
            run_dir.mkdir(parents=True, exist_ok=True)
            _write_atomic(run_dir / "metrics.partial.csv", _metrics_csv(rows))  # progress, not an output

    def save(step: int):
        if ddp.is_main:
            ckpt.save_checkpoint(run_dir, step, dict(
                step=step, model=model.state_dict(), optimizer=optimizer.state_dict(),
                scaler=scaler.state_dict(),
                scheduler=dict(step=step, total_steps=total_steps, kind="warmup_cosine"),
                rng=ckpt.rng_state(), data=dict(position=step * per_step, seed=seed,
                                                epoch=sampler.epochs(step * per_step)),
                metrics=rows, identity_check=identity_check), keep=cfg.keep_checkpoints)

    if ddp.is_main:
        n = counting.param_counts(model_cfg)
        print(f"[train] {ident.get('run', run_dir.name)}: {n['params_non_embedding']:,} non-embedding "
              f"params, {total_steps} steps x {per_step * cfg.block_size:,} tokens "
              f"({accum} micro-steps x {ddp.world} devices), {train_windows.n_windows:,} windows/epoch, "
              f"{device} {dtype}", flush=True)
    if step == 0 and not rows:
        record(0, lr_at(0, cfg, total_steps), float("nan"), float("nan"))

    params = [p for p in model.parameters()]

    def micro_batch(at_step: int, micro: int):
        first = at_step * per_step + (micro * ddp.world + ddp.rank) * cfg.micro_batch
        return train_windows.batch(sampler.window_ids(first, cfg.micro_batch))

    # (step, loss, grad norm) of the steps since the last divergence check, still on the device:
    # reading them back is a host sync, so it happens once per log interval (and before every
    # evaluation and checkpoint, so that no diverged state is ever recorded or saved).
    unchecked: list[tuple[int, torch.Tensor]] = []

    def check_finite() -> tuple[float, float]:
        values = torch.stack([v for _, v in unchecked]).tolist()
        for (at, _), (loss_value, norm_value) in zip(unchecked, values):
            # with fp16 loss scaling an infinite gradient norm is an overflow the scaler skips
            if not (math.isfinite(loss_value) and (math.isfinite(norm_value) or scaler.is_enabled())):
                last = ckpt.list_checkpoints(run_dir)
                raise TrainingError(
                    f"non-finite loss {loss_value} (grad norm {norm_value}) at step {at}; "
                    f"last good checkpoint: {last[0] if last else 'none'}; lower train.lr or raise warmup")
        unchecked.clear()
        return values[-1]

    t0, tokens_since = time.perf_counter(), 0
    try:
        # The next micro-batch is gathered (and on CUDA copied from pinned memory, non_blocking)
        # while the kernels of the current one run; the order is still a pure function of position.
        upcoming = micro_batch(step, 0) if step < total_steps else None
        while step < total_steps:
            lr = lr_at(step, cfg, total_steps)
            for g in optimizer.param_groups:
                g["lr"] = lr
            loss_sum = torch.zeros((), device=device)
            for micro in range(accum):
                x, y = upcoming
                sync = (micro == accum - 1) or not ddp.enabled
                with (contextlib.nullcontext() if sync else train_model.no_sync()), autocast:
                    _, loss = train_model(x, y)
                    loss = loss / accum
                after = (step, micro + 1) if micro + 1 < accum else (step + 1, 0)
                upcoming = micro_batch(*after) if after[0] < total_steps else None
                scaler.scale(loss).backward()
                loss_sum += loss.detach()
            scaler.unscale_(optimizer)  # clip and report the true gradient norm
            # max_norm=inf measures the norm without clipping
            grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip if cfg.grad_clip > 0 else math.inf)
            unchecked.append((step + 1, torch.stack([loss_sum.float(), grad_norm.float()])))
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            tokens_since += per_step * cfg.block_size
            evaluate_now = step % cfg.eval_interval == 0 or step == total_steps
            save_now = step % cfg.checkpoint_interval == 0 or step == total_steps
            if step % cfg.log_interval == 0 or evaluate_now or save_now:
                loss_value, norm_value = check_finite()
                if ddp.is_main and step % cfg.log_interval == 0:
                    dt = time.perf_counter() - t0
                    print(f"[train] step {step}/{total_steps} loss {loss_value:.4f} lr {lr:.2e} "
                          f"tok/s {tokens_since / dt:,.0f}", flush=True)
            if evaluate_now:
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                tps = tokens_since / (time.perf_counter() - t0)
                record(step, lr, norm_value, tps)
                t0, tokens_since = time.perf_counter(), 0
            if save_now:
                save(step)
    except torch.OutOfMemoryError:
        raise TrainingError(f"out of memory with train.micro_batch={cfg.micro_batch} on {dev_name}: "
                            f"lower train.micro_batch (gradient accumulation keeps batch_tokens)") from None

    summary = None
    if ddp.is_main:
        summary = finish(run_dir, ident, model, model_cfg, cfg, rows, total_steps, per_step, plan,
                         dict(world_size=ddp.world, device=dev_name, dtype=dtype,
                              peak_memory_gb=(torch.cuda.max_memory_allocated() / 2**30
                                              if device.startswith("cuda") else None),
                              windows_per_epoch=train_windows.n_windows,
                              train_tokens_available=int(len(train_tokens))))
    if ddp.enabled:
        dist.barrier()
    ddp.close()
    return summary


def finish(run_dir, ident, model, model_cfg, cfg, rows, total_steps, per_step, plan, extra) -> dict:
    """Write the declared outputs, weights first and summary.json last, each atomically."""
    last = rows[-1]
    summary = dict(
        **{k: ident.get(k) for k in ("experiment", "run", "model", "fraction", "seed", "budget")},
        **{k: getattr(model_cfg, k) for k in ("n_layer", "n_head", "n_embd", "block_size", "vocab_size", "bias",
                                              "vocab_multiple", "padded_vocab_size")},
        **counting.param_counts(model_cfg),
        tokens=int(last["tokens"]), steps=total_steps, epochs=float(last["epoch"]),
        flops=float(last["flops"]), flops_convention=cfg.flops_convention,
        flops_per_token=counting.flops_per_token(model_cfg, cfg.flops_convention),
        final_train_loss=float(last["train_loss"]), final_val_loss=float(last["val_loss"]),
        best_val_loss=float(min(r["val_loss"] for r in rows)),
        batch_tokens=per_step * cfg.block_size, **plan, **extra, train=cfg.to_dict(),
    )
    ckpt.save_final_weights(model, run_dir / "model.safetensors")
    _write_atomic(run_dir / "metrics.csv", _metrics_csv(rows))
    _write_atomic(run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    (run_dir / "metrics.partial.csv").unlink(missing_ok=True)
    print(f"[train] finished {run_dir}: train {summary['final_train_loss']:.4f} "
          f"val {summary['final_val_loss']:.4f}", flush=True)
    return summary
