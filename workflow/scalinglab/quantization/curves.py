"""Per-subtask learning curves: when each quantum is learned, and how abruptly (Michaud et al. 2023).

The quantization model's premise is that a network learns each subtask (quantum) as a unit: its
loss stays near chance (log 2 for a parity) and then falls to near zero within a short stretch of
training, the frequent subtasks first. Given the test loss of every subtask at each evaluation
step (train_width_sweep's `curves`), :func:`learning_transitions` finds for each one the last
step still near chance (`start_step`, loss >= `high` · log 2) before the first step near zero
(`learned_step`, loss <= `low` · log 2); `duration` = learned_step - start_step is at most the
rise time plus one evaluation interval, `relative_duration` = duration / learned_step and
`drop_to_plateau` = duration / start_step (infinite without a plateau) are small for an abrupt
drop after a long plateau (the verdict reads the median `drop_to_plateau`,
`scalinglab.verdicts.rules.abruptness_rule`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from scalinglab.quantization.theory import UNLEARNED_LOSS

TRANSITION_COLUMNS = ["width", "task", "frequency", "start_step", "learned_step", "duration",
                      "relative_duration", "drop_to_plateau"]


def learning_transitions(curves: pd.DataFrame, low: float = 0.1, high: float = 0.9,
                         chance: float = UNLEARNED_LOSS) -> pd.DataFrame:
    """One row per (width, task) with a learned subtask: start, learned step, duration (see module)."""
    if not 0 < low < high <= 1:
        raise ValueError(f"learning transitions: need 0 < low={low} < high={high} <= 1")
    missing = {"step", "width", "task", "frequency", "loss"} - set(curves.columns)
    if missing:
        raise ValueError(f"learning transitions: curves lack column(s) {sorted(missing)}")
    rows = []
    for (width, task), group in curves.groupby(["width", "task"], sort=True):
        g = group.sort_values("step")
        step, loss = g["step"].to_numpy(), g["loss"].to_numpy()
        below = np.flatnonzero(loss <= low * chance)
        if not below.size:
            continue
        first = below[0]
        above = np.flatnonzero(loss[:first] >= high * chance)
        start = step[above[-1]] if above.size else step[0]
        learned = step[first]
        rows.append(dict(width=width, task=task, frequency=g["frequency"].iloc[0], start_step=start,
                         learned_step=learned, duration=learned - start,
                         relative_duration=(learned - start) / learned if learned > 0 else np.nan,
                         drop_to_plateau=(learned - start) / start if start > 0 else np.inf))
    return pd.DataFrame(rows, columns=TRANSITION_COLUMNS)


def learning_order(transitions: pd.DataFrame) -> pd.DataFrame:
    """Per width: learned subtasks, the median relative duration and drop/plateau ratio, and the Spearman correlation
    between frequency rank and learned step (positive: frequent subtasks are learned first)."""
    rows = []
    for width, g in transitions.groupby("width", sort=True):
        rho = (stats.spearmanr(g["task"], g["learned_step"]).statistic
               if len(g) >= 3 and g["learned_step"].nunique() > 1 else np.nan)
        rows.append(dict(width=width, learned=len(g), median_relative_duration=g["relative_duration"].median(),
                         median_drop_to_plateau=g["drop_to_plateau"].median(), rank_step_spearman=float(rho)))
    return pd.DataFrame(rows, columns=["width", "learned", "median_relative_duration",
                                       "median_drop_to_plateau", "rank_step_spearman"])
