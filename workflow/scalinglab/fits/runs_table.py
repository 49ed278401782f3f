"""Runs trained elsewhere as fitting data: one table, one row per evaluation (README 'Bring your
own runs'). It is checked (one line per problem), turned into the frames the pipeline's own runs
give (scalinglab.fits.runs), and it decides which analyses its contents identify.

Columns (CSV or parquet):
  run                 run id (text); rows of one run share it
  params              parameter count of the run's model
  params_convention   non_embedding | total | with_head (one convention for the whole table)
  tokens              tokens seen at this evaluation
  loss                validation loss at this evaluation, in nats per token
optional:
  model               model name (defaults to the run id)
  flops               training FLOPs at this evaluation (default 6 * params * tokens)
  step                optimizer step (default: the evaluation's rank within its run)
  unique_tokens       distinct tokens the run could see (its data subset); or
  epochs              tokens / unique_tokens at the run's end (unique_tokens is derived from it)
  budget              the nominal FLOP budget the run belongs to (IsoFLOP groups, Approach 2)
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import FitInputError
from .data_constrained import min_single_epoch_runs
from .envelope import LearningCurve

REQUIRED = ("run", "params", "params_convention", "tokens", "loss")
OPTIONAL = ("model", "flops", "step", "unique_tokens", "epochs", "budget")
CONVENTIONS = {"non_embedding": "params_non_embedding", "total": "params_total",
               "with_head": "params_with_head"}
# A loss above uniform prediction over a million-token vocabulary cannot be nats per token.
MAX_LOSS_NATS = math.log(1e6)
# Final tokens below params / 100: no language-model run stops there; the units are off.
MIN_TOKENS_PER_PARAM = 1e-2
# What each analysis needs from the table (checked in `analyses`).
MIN_RUNS_APPROACH3 = 8
MIN_CURVE_POINTS = 3
MIN_BUDGETS, MIN_RUNS_PER_BUDGET = 2, 3
MIN_SIZES_KAPLAN = 3


def read_runs_table(path: str | os.PathLike) -> pd.DataFrame:
    """The table as given (CSV, or parquet by its suffix)."""
    p = Path(path)
    try:
        return pd.read_parquet(p) if p.suffix in (".parquet", ".pq") else pd.read_csv(p)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise FitInputError(f"{p}: unreadable runs table ({err}); see README 'Bring your own runs'") from None


def _rows(mask: pd.Series) -> str:
    idx = list(np.flatnonzero(mask.to_numpy()))
    shown = ", ".join(str(i + 2) for i in idx[:5])  # +2: header line and 1-based lines of a CSV
    return f"line(s) {shown}" + (f" and {len(idx) - 5} more" if len(idx) > 5 else "")


def problems(df: pd.DataFrame, loss_units: str = "nats") -> list[str]:
    """Every problem of the table, one line each (empty when it can be used)."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        return [f"missing column(s) {missing}; required: {list(REQUIRED)}"]
    out = []
    conv = df["params_convention"].astype(str)
    bad = ~conv.isin(list(CONVENTIONS))
    if bad.any():
        out.append(f"params_convention {sorted(set(conv[bad]))!r} at {_rows(bad)}: use one of "
                   f"{list(CONVENTIONS)}")
    elif conv.nunique() > 1:
        out.append(f"params_convention mixes {sorted(set(conv))}: fits need one convention; "
                   f"convert the parameter counts to one")
    numeric = ["params", "tokens", "loss"] + [c for c in ("flops", "step", "unique_tokens", "epochs",
                                                          "budget") if c in df.columns]
    values = {}
    for c in numeric:
        v = pd.to_numeric(df[c], errors="coerce")
        # A blank budget or unique-token count means "not known"; a blank required value is an error.
        optional_blank = df[c].isna() if c in ("budget", "unique_tokens", "epochs") else pd.Series(
            False, index=df.index)
        nonfinite = ~np.isfinite(v) & ~optional_blank
        if nonfinite.any():
            out.append(f"{c}: non-numeric or missing value(s) at {_rows(nonfinite)}")
        floor = 0 if c in ("tokens", "flops", "step") else None  # step-0 evaluations are allowed
        low = (v < 0) if floor == 0 else (v <= 0)
        if low.any():
            out.append(f"{c}: {'negative' if floor == 0 else 'non-positive'} value(s) at {_rows(low)}: "
                       f"impossible")
        values[c] = v
    if out:
        return out
    loss = values["loss"] * (math.log(2) if loss_units == "bits" else 1.0)
    high = loss > MAX_LOSS_NATS
    if high.any():
        out.append(f"loss up to {loss.max():.3g} nats at {_rows(high)} exceeds the uniform loss over a "
                   f"1e6-token vocabulary ({MAX_LOSS_NATS:.1f}): bits declared as nats (set "
                   f"runs.loss_units: bits) or a loss summed over a sequence?")
    if df["run"].isna().any():
        out.append(f"run: missing run id at {_rows(df['run'].isna())}")
    key = ["run", "step"] if "step" in df.columns else ["run", "tokens"]
    dup = df.duplicated(subset=key, keep="first")
    if dup.any():
        out.append(f"duplicated evaluation(s) (same {' and '.join(key)}) at {_rows(dup)}: keep one row each")
    for c in ("params", "params_convention", "budget", "unique_tokens"):
        if c in df.columns:
            varying = df.groupby("run")[c].nunique(dropna=False)
            if (varying > 1).any():
                out.append(f"{c} differs between rows of run(s) {list(varying[varying > 1].index[:5])}: "
                           f"one value per run")
    last = df.assign(tokens=values["tokens"], params=values["params"]).groupby("run").agg(
        tokens=("tokens", "max"), params=("params", "first"))
    short = last["tokens"] < MIN_TOKENS_PER_PARAM * last["params"]
    if short.any():
        ratio = (last["tokens"] / last["params"])[short]
        out.append(f"tokens below parameters by orders of magnitude for run(s) {list(ratio.index[:5])} "
                   f"(tokens/params down to {ratio.min():.2g}): tokens in billions or params in "
                   f"millions? give plain counts")
    return out


def check_runs_table(df: pd.DataFrame, loss_units: str = "nats") -> None:
    found = problems(df, loss_units)
    if found:
        raise FitInputError(f"runs table: {len(found)} problem(s):\n" + "\n".join(found))


def normalise(df: pd.DataFrame, loss_units: str = "nats") -> pd.DataFrame:
    """The checked table with every optional column filled: model, flops, step, unique_tokens,
    fraction (unique_tokens over the largest; 1 without unique tokens), budget (NaN if none),
    loss in nats; sorted by tokens within each run."""
    check_runs_table(df, loss_units)
    t = df.copy()
    for c in ("params", "tokens", "loss", "flops", "step", "unique_tokens", "epochs", "budget"):
        if c in t.columns:
            t[c] = pd.to_numeric(t[c], errors="coerce").astype(float)
    if loss_units == "bits":
        t["loss"] = t["loss"] * math.log(2)
    t["run"] = t["run"].astype(str)
    t["model"] = t["model"].astype(str) if "model" in t.columns else t["run"]
    if "flops" not in t.columns:
        t["flops"] = 6.0 * t["params"] * t["tokens"]  # Kaplan's C = 6ND
    # Runs keep the table's order (the fits then see the points in the order given).
    order = {r: i for i, r in enumerate(pd.unique(t["run"]))}
    t = t.assign(_order=t["run"].map(order)).sort_values(["_order", "tokens"], kind="stable")
    t = t.drop(columns="_order").reset_index(drop=True)
    if "step" not in t.columns:
        t["step"] = t.groupby("run").cumcount().astype(float) + 1
    if "unique_tokens" not in t.columns and "epochs" in t.columns:
        t["unique_tokens"] = t.groupby("run")["tokens"].transform("max") / t["epochs"]
    if "unique_tokens" not in t.columns or t["unique_tokens"].isna().all():
        t["unique_tokens"] = np.nan
        t["fraction"] = 1.0
    else:
        u = t.groupby("run")["unique_tokens"].transform("first")
        t["unique_tokens"] = u
        t["fraction"] = (u / u.max()).fillna(1.0)
    t["budget"] = t["budget"] if "budget" in t.columns else np.nan
    return t


def final_rows(t: pd.DataFrame) -> pd.DataFrame:
    """One row per run: its last evaluation, with its best loss as L_best."""
    last = t.groupby("run", sort=False).tail(1).set_index("run")
    last["best_loss"] = t.groupby("run")["loss"].min()
    return last.reset_index()


def _curve_rows(t: pd.DataFrame) -> pd.DataFrame:
    # Like the pipeline: the step-0 evaluation has no FLOPs yet and cannot sit on a log axis.
    return t[(t["flops"] > 0) & (t["tokens"] > 0)]


def analyses(t: pd.DataFrame) -> list[dict]:
    """Which analyses the (normalised) table identifies: [{analysis, ran, reason}]."""
    fin = final_rows(t)
    full = fin[fin["fraction"] == fin["fraction"].max()]
    out = []
    n3 = len(full)
    out.append(dict(analysis="Approach 3", ran=n3 >= MIN_RUNS_APPROACH3 and full["params"].nunique() >= 2,
                    reason=f"{n3} single-epoch runs at {full['params'].nunique()} sizes "
                           f"(needs >= {MIN_RUNS_APPROACH3} runs, >= 2 sizes)"))
    counts = _curve_rows(t[t["fraction"] == t["fraction"].max()]).groupby("run").size()
    curves = int((counts >= MIN_CURVE_POINTS).sum())
    out.append(dict(analysis="Approach 1", ran=curves >= 2,
                    reason=f"{curves} runs with learning curves of >= {MIN_CURVE_POINTS} evaluations "
                           f"(needs >= 2; final losses alone give no envelope)"))
    iso = full[np.isfinite(full["budget"])]
    per_budget = iso.groupby("budget")["params"].nunique()
    usable = int((per_budget >= MIN_RUNS_PER_BUDGET).sum())
    out.append(dict(analysis="Approach 2", ran=usable >= MIN_BUDGETS,
                    reason=("no budget column: runs are not grouped on nominal FLOP budgets"
                            if iso.empty else
                            f"{usable} budgets with >= {MIN_RUNS_PER_BUDGET} model sizes "
                            f"(needs >= {MIN_BUDGETS})")))
    n_sizes = full["params"].nunique()
    largest = fin[fin["params"] == fin["params"].max()]
    d_sizes = np.unique(np.minimum(largest["unique_tokens"].fillna(np.inf), largest["tokens"])).size
    out.append(dict(analysis="Kaplan forms", ran=n_sizes >= MIN_SIZES_KAPLAN and d_sizes >= MIN_SIZES_KAPLAN,
                    reason=f"{n_sizes} model sizes on the most data and {d_sizes} data sizes for the "
                           f"largest model, N = {fin['params'].max():.3g} (needs >= {MIN_SIZES_KAPLAN} of each for L(N) "
                           f"and L(D))"))
    out.append(dict(analysis="Kaplan L(C_min), L(N, S)", ran=curves >= 2,
                    reason="needs learning curves from >= 2 runs"))
    known = fin[np.isfinite(fin["unique_tokens"])]
    rep = known["tokens"] > known["unique_tokens"] * (1 + 1e-9)
    repeats = int(rep.sum())
    # The law under R_D* comes from the single-epoch runs at the sizes that repeat
    # (scalinglab.fits.data_constrained.fit_half_life_on_runs).
    once_rows = known[~rep & known["params"].isin(known.loc[rep, "params"])]
    once, n_sizes_once = len(once_rows), once_rows["params"].nunique()
    need = min_single_epoch_runs(n_sizes_once)
    out.append(dict(analysis="Data-constrained R_D*",
                    ran=repeats >= 2 and once >= need,
                    reason=("no unique_tokens or epochs column" if known.empty else
                            f"{repeats} runs repeat data and {once} at their sizes do not (needs >= 2, "
                            f"and >= {need} single-epoch runs at {n_sizes_once} size(s) for the law)")))
    return out


def _require(found: list[dict], name: str) -> None:
    row = next(r for r in found if r["analysis"] == name)
    if not row["ran"]:
        raise FitInputError(f"runs table: {name} skipped: {row['reason']}")


def chinchilla_frames(t: pd.DataFrame) -> tuple[pd.DataFrame, list[LearningCurve], list[dict]]:
    """What scalinglab.fits.analysis.chinchilla_runs takes, from the single-epoch runs: final
    (run, model, N, D, C, L), learning curves (empty when Approach 1 is not identified), and the
    analyses record."""
    found = analyses(t)
    _require(found, "Approach 3")
    t = t[t["fraction"] == t["fraction"].max()]
    fin = final_rows(t)
    final = pd.DataFrame(dict(run=fin["run"], model=fin["model"], N=fin["params"], D=fin["tokens"],
                              C=fin["budget"], L=fin["loss"]))
    if not next(r for r in found if r["analysis"] == "Approach 2")["ran"]:
        final["C"] = np.nan
    curves = []
    if next(r for r in found if r["analysis"] == "Approach 1")["ran"]:
        for run, g in _curve_rows(t).groupby("run", sort=False):
            curves.append(LearningCurve(run=run, N=float(g["params"].iloc[0]),
                                        flops=g["flops"].to_numpy(float),
                                        tokens=g["tokens"].to_numpy(float),
                                        loss=g["loss"].to_numpy(float)))
    return final, curves, [r for r in found if r["analysis"].startswith("Approach")]


def kaplan_frames(t: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """What scalinglab.fits.analysis.kaplan_runs takes: final (run, model, fraction, N, D, L_final,
    L_best; D = min(unique tokens, tokens seen)), the curve rows (empty without learning curves),
    and the analyses record."""
    found = analyses(t)
    _require(found, "Kaplan forms")
    fin = final_rows(t)
    final = pd.DataFrame(dict(run=fin["run"], model=fin["model"], fraction=fin["fraction"],
                              N=fin["params"], D=np.minimum(fin["unique_tokens"].fillna(np.inf),
                                                            fin["tokens"]),
                              L_final=fin["loss"], L_best=fin["best_loss"]))
    rows = _curve_rows(t).rename(columns={"params": "N"})
    if not next(r for r in found if r["analysis"] == "Kaplan L(C_min), L(N, S)")["ran"]:
        rows = rows.iloc[0:0]
    rows = rows[["run", "model", "N", "fraction", "budget", "step", "tokens", "flops", "loss"]]
    return final, rows.reset_index(drop=True), [r for r in found if r["analysis"].startswith("Kaplan")]


def export_runs_table(summaries: pd.DataFrame, metrics: pd.DataFrame, params: str = "params_non_embedding",
                      subset_tokens: dict[float, int] | None = None, loss: str = "val_loss") -> pd.DataFrame:
    """The pipeline's runs in the table format: summaries from runs.read_summaries, metrics the
    rows runs.read_learning_curves returns; unique_tokens from the data subsets when given."""
    convention = {v: k for k, v in CONVENTIONS.items()}[params]
    s = summaries.set_index("run")
    out = pd.DataFrame(dict(run=metrics["run"], model=metrics["model"],
                            params=metrics["run"].map(s[params]).astype(float),
                            params_convention=convention, step=metrics["step"], tokens=metrics["tokens"],
                            flops=metrics["flops"], loss=metrics[loss], budget=metrics["budget"]))
    if subset_tokens:
        out["unique_tokens"] = metrics["fraction"].astype(float).map(subset_tokens).astype(float)
    return out


def repetition_points(t: pd.DataFrame) -> pd.DataFrame:
    """Per run (N, D, U, L, repeats) for the data-constrained fit (scalinglab.fits.data_constrained):
    final losses of runs whose unique tokens are known; repeats = D > U."""
    fin = final_rows(t)
    fin = fin[np.isfinite(fin["unique_tokens"])]
    if fin.empty:
        raise FitInputError("runs table: data-constrained fit skipped: no unique_tokens or epochs column "
                            "(the unique tokens each run saw)")
    return pd.DataFrame(dict(run=fin["run"], N=fin["params"], D=fin["tokens"], U=fin["unique_tokens"],
                             L=fin["loss"], repeats=fin["tokens"] > fin["unique_tokens"] * (1 + 1e-9)))
