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


def read_summaries(paths: list[str | os.PathLike], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per run with the summary keys the fits use (and `extra` ones); a clear error on a
    missing key."""
    if not paths:
        raise FitInputError("no training runs given; the experiment has no runs in the config")
    rows = []
    for p in paths:
        try:
            s = json.loads(Path(p).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise FitInputError(f"{p}: unreadable run summary ({err})") from None
        missing = [k for k in SUMMARY_KEYS + tuple(extra) if k not in s]
        if missing:
            raise FitInputError(f"{p}: run summary lacks {missing} (see README 'File formats')")
        row = {k: s[k] for k in SUMMARY_KEYS + tuple(extra)}
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


def trainer_floor(val_json: str | os.PathLike, summary_paths) -> "WindowFloor | None":
    """The lowest loss the trainer can reach on the validation windows of these runs (synthetic
    corpus only, None for real text): `window_entropy_floor` at the runs' block size. Runs with
    different block sizes get the widest bound over them."""
    from scalinglab.data.synthetic import WindowFloor, window_entropy_floor

    try:
        meta = json.loads(Path(val_json).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise FitInputError(f"{val_json}: unreadable validation sidecar ({err})") from None
    if meta.get("generator") != "zipf_facts":
        return None
    sizes = set()
    for p in summary_paths:
        try:
            sizes.add(int(json.loads(Path(p).read_text())["block_size"]))
        except (OSError, json.JSONDecodeError, KeyError) as err:
            raise FitInputError(f"{p}: run summary without a readable block_size ({err})") from None
    if not sizes:
        return None
    floors = [window_entropy_floor(meta, b) for b in sorted(sizes)]
    if len(floors) == 1:
        return floors[0]
    f0 = floors[0]
    return WindowFloor(lo=min(f.lo for f in floors), hi=max(f.hi for f in floors), exact=False,
                       block_size=f0.block_size, document_tokens=f0.document_tokens,
                       phase_known=f0.phase_known, windows=f0.windows)


def chinchilla_points(summaries: pd.DataFrame, params: str = "params_non_embedding",
                      loss: str = "final_val_loss") -> pd.DataFrame:
    """(N, D, C, L, steps) per run for Approaches 2-3: D = tokens trained, C = the run's budget,
    steps = optimizer steps (Approach 3 leaves out step-limited runs, `approach3_runs`)."""
    return pd.DataFrame(dict(run=summaries["run"], model=summaries["model"],
                             N=summaries[params].astype(float), D=summaries["tokens"].astype(float),
                             C=summaries["budget"].astype(float), L=summaries[loss].astype(float),
                             steps=summaries["steps"].astype(int)))


def kaplan_points(summaries: pd.DataFrame, subset_tokens: dict[float, int],
                  params: str = "params_non_embedding") -> pd.DataFrame:
    """Per run: N, D = min(subset size, tokens trained) (the data a run could learn from),
    L_final and L_best (Kaplan's early-stopped loss)."""
    missing = sorted({float(f) for f in summaries["fraction"]} - set(subset_tokens))
    if missing:
        raise FitInputError(f"no subset size for data fraction(s) {missing}")
    size = summaries["fraction"].astype(float).map(subset_tokens).astype(float)
    return pd.DataFrame(dict(run=summaries["run"], model=summaries["model"],
                             fraction=summaries["fraction"].astype(float),
                             N=summaries[params].astype(float),
                             D=np.minimum(size, summaries["tokens"].astype(float)),
                             L_final=summaries["final_val_loss"].astype(float),
                             L_best=summaries["best_val_loss"].astype(float)))


def subset_sizes(sidecars: list[str | os.PathLike]) -> dict[float, int]:
    """{fraction: tokens} from the data stage's subset sidecars."""
    out = {}
    for p in sidecars:
        try:
            meta = json.loads(Path(p).read_text())
            out[float(meta["fraction"])] = int(meta["tokens"])
        except (OSError, json.JSONDecodeError, KeyError) as err:
            raise FitInputError(f"{p}: unreadable subset sidecar ({err})") from None
    return out
