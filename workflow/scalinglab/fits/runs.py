"""The pipeline's own training runs as fitting data: results/train/<experiment>/<run>/
summary.json and metrics.csv (formats in README, 'File formats')."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import FitInputError
from .envelope import LearningCurve

PARAM_CONVENTIONS = ("params_total", "params_non_embedding", "params_with_head")
SUMMARY_KEYS = ("run", "model", "fraction", "seed", "budget", "tokens", "steps", "flops",
                "final_train_loss", "final_val_loss", "best_val_loss") + PARAM_CONVENTIONS
METRIC_COLUMNS = ("step", "tokens", "flops", "val_loss")


def read_summaries(paths: list[str | os.PathLike]) -> pd.DataFrame:
    """One row per run with the summary keys the fits use; a clear error on a missing key."""
    if not paths:
        raise FitInputError("no training runs given; the experiment has no runs in the config")
    rows = []
    for p in paths:
        try:
            s = json.loads(Path(p).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise FitInputError(f"{p}: unreadable run summary ({err})") from None
        missing = [k for k in SUMMARY_KEYS if k not in s]
        if missing:
            raise FitInputError(f"{p}: run summary lacks {missing} (see README 'File formats')")
        row = {k: s[k] for k in SUMMARY_KEYS}
        row["path"] = str(p)
        rows.append(row)
    df = pd.DataFrame(rows)
    df["budget"] = pd.to_numeric(df["budget"], errors="coerce")
    return df


def read_learning_curves(summary_paths, params: str = "params_non_embedding",
                         loss: str = "val_loss") -> tuple[list[LearningCurve], pd.DataFrame]:
    """Each run's metrics.csv (beside its summary.json) as a LearningCurve, plus all rows."""
    if params not in PARAM_CONVENTIONS:
        raise FitInputError(f"unknown parameter convention {params!r}; use one of "
                            f"{list(PARAM_CONVENTIONS)}")
    summaries = read_summaries(summary_paths)
    curves, frames = [], []
    for _, s in summaries.iterrows():
        path = Path(s["path"]).with_name("metrics.csv")
        try:
            m = pd.read_csv(path)
        except (OSError, pd.errors.ParserError) as err:
            raise FitInputError(f"{path}: unreadable metrics ({err})") from None
        missing = [c for c in METRIC_COLUMNS + (loss,) if c not in m.columns]
        if missing:
            raise FitInputError(f"{path}: metrics lack column(s) {missing}")
        # The step-0 evaluation has no FLOPs yet and cannot sit on a log axis.
        m = m[(m["flops"] > 0) & (m["tokens"] > 0) & np.isfinite(m[loss])]
        m = m.assign(run=s["run"], model=s["model"], N=float(s[params]), fraction=s["fraction"],
                     budget=s["budget"])
        frames.append(m)
        curves.append(LearningCurve(run=s["run"], N=float(s[params]),
                                    flops=m["flops"].to_numpy(float),
                                    tokens=m["tokens"].to_numpy(float),
                                    loss=m[loss].to_numpy(float)))
    return curves, pd.concat(frames, ignore_index=True)


def irreducible_loss(val_json: str | os.PathLike) -> float | None:
    """The exact irreducible loss of the synthetic corpus (val.json), or None for real text."""
    try:
        meta = json.loads(Path(val_json).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise FitInputError(f"{val_json}: unreadable validation sidecar ({err})") from None
    value = meta.get("entropy_per_token_nats")
    return None if value is None else float(value)
