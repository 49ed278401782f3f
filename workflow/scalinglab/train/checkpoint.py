"""Atomic checkpoints (resume state) and final weights (safetensors).

Checkpoints hold only tensors and plain Python containers, so they load with
``torch.load(weights_only=True)``: no arbitrary pickles. Each is written to a temporary name,
fsynced, then renamed; the last K are kept. Final weights are ``model.safetensors``.
"""
from __future__ import annotations

import contextlib
import json
import os
import random
import re
import warnings
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_model as _load_safetensors, save_model as _save_safetensors

from ..model import GPT, GPTConfig

CKPT_DIR = "checkpoints"
_CKPT_RE = re.compile(r"step_(\d+)\.pt$")


def rng_state() -> dict:
    """Python, numpy, torch and CUDA RNG states, as weights_only-loadable values."""
    np_state = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=[np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]],
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict):
    random.setstate(state["python"])
    kind, keys, *rest = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """Checkpoints of a run, newest first."""
    d = Path(run_dir) / CKPT_DIR
    found = [(int(m.group(1)), p) for p in d.glob("step_*.pt") if (m := _CKPT_RE.search(p.name))]
    return [p for _, p in sorted(found, reverse=True)]


class CheckpointError(RuntimeError):
    """Checkpoints that cannot be written or read: a one-line message naming the files and the way out."""


def save_checkpoint(run_dir: str | Path, step: int, state: dict, keep: int) -> Path:
    d = Path(run_dir) / CKPT_DIR
    path = d / f"step_{step:08d}.pt"
    tmp = path.with_suffix(".pt.tmp")
    try:
        d.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:  # read-only or full: stop now rather than train on without a resume point
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        last = list_checkpoints(run_dir)
        raise CheckpointError(
            f"cannot write checkpoint {err.filename or tmp}: {err.strerror or err} at step {step}; "
            f"make {d} writable (and check free space), then rerun: it resumes from "
            f"{last[0] if last else 'step 0'}") from None
    for old in list_checkpoints(run_dir)[keep:]:
        old.unlink(missing_ok=True)
    return path


def load_latest_checkpoint(run_dir: str | Path, map_location="cpu") -> dict | None:
    """The newest checkpoint that loads; an unreadable one is skipped with a warning.

    None when there is none. When there are some and none loads, resuming is impossible and
    restarting silently would discard them: :class:`CheckpointError` names them and the choice.
    """
    paths, failures = list_checkpoints(run_dir), []
    for path in paths:
        try:
            state = torch.load(path, map_location=map_location, weights_only=True)
            if not isinstance(state, dict) or "identity_check" not in state:
                raise ValueError("not a training checkpoint")
        except Exception as exc:  # a truncated file from a crash outside the atomic rename
            first = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
            failures.append((path, first))
            continue
        for bad, why in failures:  # an older one loaded: say what was skipped, then resume
            warnings.warn(f"skipping unreadable checkpoint {bad}: {why}")
        state["path"] = str(path)
        return state
    if paths:
        d = Path(run_dir) / CKPT_DIR
        raise CheckpointError(
            f"every checkpoint in {d} is unreadable: {'; '.join(f'{p.name} ({why})' for p, why in failures)}; delete them to restart "
            f"the run from step 0 (rm -r {d}), or restore a readable copy to resume")
    return None


def save_final_weights(model: GPT, path: str | Path):
    tmp = Path(str(path) + ".tmp")
    _save_safetensors(model, str(tmp), metadata={"config": json.dumps(model.config.to_dict())})
    os.replace(tmp, path)


def load_model(run_dir: str | Path, map_location="cpu") -> GPT:
    """The finished model of a run directory: shape from summary.json, weights from safetensors."""
    run_dir = Path(run_dir)
    summary_path, weights = run_dir / "summary.json", run_dir / "model.safetensors"
    for p in (summary_path, weights):
        if not p.is_file():
            raise FileNotFoundError(f"{p} not found: is {run_dir} a finished training run?")
    s = json.loads(summary_path.read_text())
    keys = ("n_layer", "n_head", "n_embd", "block_size", "vocab_size")
    missing = [k for k in keys if k not in s]
    if missing:
        raise ValueError(f"{summary_path} lacks {', '.join(missing)}: not a training summary")
    config = GPTConfig(**{k: int(s[k]) for k in keys}, bias=bool(s.get("bias", True)),
                       vocab_multiple=int(s.get("vocab_multiple", 1)))  # older runs: unpadded
    model = GPT(config)
    try:
        missing, unexpected = _load_safetensors(model, str(weights), strict=True,
                                                device=str(map_location))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
        raise ValueError(f"{weights} does not match the shape in {summary_path} "
                         f"({', '.join(f'{k}={s[k]}' for k in keys)}): {first}") from None
    return model.eval()
