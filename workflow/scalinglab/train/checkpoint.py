"""Atomic checkpoints (resume state) and final weights (safetensors).

Checkpoints hold only tensors and plain Python containers, so they load with
``torch.load(weights_only=True)``: no arbitrary pickles. Each is written to a temporary name,
fsynced, then renamed; the last K are kept. Final weights are ``model.safetensors``.
"""
from __future__ import annotations

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


def save_checkpoint(run_dir: str | Path, step: int, state: dict, keep: int) -> Path:
    d = Path(run_dir) / CKPT_DIR
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"step_{step:08d}.pt"
    tmp = path.with_suffix(".pt.tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    for old in list_checkpoints(run_dir)[keep:]:
        old.unlink(missing_ok=True)
    return path


def load_latest_checkpoint(run_dir: str | Path, map_location="cpu") -> dict | None:
    """The newest checkpoint that loads; an unreadable one is skipped with a warning."""
    for path in list_checkpoints(run_dir):
        try:
            state = torch.load(path, map_location=map_location, weights_only=True)
        except Exception as exc:  # a truncated file from a crash outside the atomic rename
            warnings.warn(f"skipping unreadable checkpoint {path}: {exc}")
            continue
        state["path"] = str(path)
        return state
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
