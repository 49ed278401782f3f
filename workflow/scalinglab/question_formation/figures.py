"""Figure 4 of the catalogue: question-formation loss with its stepwise drops, floor and Niu's claim.

Niu et al. 2024 §6.3 train vanilla Transformers on McCoy et al.'s question-formation data and
compare the training loss with their Section 5 analysis: a severely over-parameterised model's
minimal cross-entropy equals the entropy of the training samples, and under their conditions
(well-separated memories) the achievable loss is about 1 nat. Left: the training loss at every
step (thin) and its running mean, against the step on a log axis, with (generated data) the
exact entropy of the sequences the model is scored on, the true floor of this loss, and Niu et
al.'s ≈1 claim drawn as a claim with its conditions (our reconstruction,
:func:`scalinglab.memory.bound.cross_entropy_lower_bound`), not as a bound: a model may go
below it. Right: greedy-decoding accuracies on held-out pairs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import style

SPLIT_LABELS = {"test": "held-out test", "gen": "generalisation (subject RC)"}


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over `window` steps (shorter at the start)."""
    c = np.cumsum(np.insert(values.astype(float), 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def fig4(loss: pd.DataFrame, evals: pd.DataFrame, claim: float,
         entropy_rate: float | None, png_path, title: str = "") -> None:
    """`claim`: Niu et al. §5's ≈1-nat value as reconstructed; `entropy_rate`: the floor (or None)."""
    fig, axes = style.new_figure(ncols=2, width=5.0, height=3.8)
    ax_loss, ax_acc = axes[0]
    step = loss["step"].to_numpy() + 1  # log axis: step 0 plotted at 1
    window = max(5, len(step) // 100)
    ax_loss.plot(step, loss["loss"], color=style.PALETTE[0], alpha=0.25, lw=0.6)
    ax_loss.plot(step, running_mean(loss["loss"].to_numpy(), window), color=style.PALETTE[0],
                 label="training loss (all tokens)")
    ax_loss.plot(step, running_mean(loss["target_loss"].to_numpy(), window),
                 color=style.PALETTE[2], lw=1.2, label="target tokens only")
    ax_loss.axhline(claim, color=style.PALETTE[1], ls="-.", lw=1.0,
                    label=f"Niu et al. §5 claim ≈1 nat, if over-parameterised\n"
                          f"with well-separated memories ({claim:.2f}; not a bound)")
    if entropy_rate is not None:
        ax_loss.axhline(entropy_rate, color="0.3", ls=":",
                        label=f"floor: entropy of the training sequences ({entropy_rate:.2f})")
    ax_loss.set_xscale("log")
    ax_loss.set_xlabel("training step")
    ax_loss.set_ylabel("cross-entropy (nats/token)")
    ax_loss.set_ylim(0, max(4.5, float(loss["loss"].iloc[0]) * 1.05))
    ax_loss.legend(loc="lower left", fontsize=7)
    ax_loss.set_title("Loss: plateaus and drops")
    markers = {"sequence_accuracy": ("o", "-", "sequence"),
               "first_word_accuracy": ("s", "--", "first word")}
    for i, (split, rows) in enumerate(evals.groupby("split", sort=False)):
        for col, (marker, ls, what) in markers.items():
            ax_acc.plot(rows["step"] + 1, rows[col], marker=marker, ms=3, ls=ls,
                        color=style.PALETTE[(i + 3) % len(style.PALETTE)],
                        label=f"{SPLIT_LABELS.get(split, split)}: {what}")
    ax_acc.set_xscale("log")
    ax_acc.set_ylim(-0.02, 1.02)
    ax_acc.set_xlabel("training step")
    ax_acc.set_ylabel("accuracy (fraction of pairs)")
    ax_acc.legend(loc="upper left")
    ax_acc.set_title("Greedy decoding accuracy")
    if title:
        fig.suptitle(title)
    style.save(fig, png_path)
