"""Figure 13: the project's validation curves beside the reference losses a run should land near."""
from __future__ import annotations

import pandas as pd

from ..reference import ReferenceLoss
from .style import PALETTE, new_figure

_REF_STYLE = {"published": ("-", "#555555"), "floor": ("--", "#000000"), "ceiling": (":", "#999999")}


def plot_expected_loss_bands(curves: dict[str, pd.DataFrame], refs: list[ReferenceLoss],
                             title: str = "Validation loss against reference losses"):
    """`curves`: run label -> metrics table (tokens, val_loss). Published references form a band."""
    fig, axes = new_figure(width=6.4, height=4.2)
    ax = axes[0, 0]
    for i, (label, df) in enumerate(curves.items()):
        df = df.dropna(subset=["val_loss"])
        df = df[df["tokens"] > 0]
        ax.plot(df["tokens"], df["val_loss"], color=PALETTE[i % len(PALETTE)], label=label)
    published = [r.loss for r in refs if r.kind == "published"]
    if published:
        ax.axhspan(min(published), max(published), color="#E69F00", alpha=0.15,
                   label="published range (GPT-2 on OWT)")
    for ref in refs:
        ls, color = _REF_STYLE[ref.kind]
        ax.axhline(ref.loss, ls=ls, color=color, lw=1.0)
        ax.annotate(f"{ref.label}: {ref.loss:.2f}", xy=(0.01, ref.loss), xycoords=("axes fraction", "data"),
                    xytext=(0, 2), textcoords="offset points", fontsize=8, color=color, va="bottom")
    ax.set_xscale("log")
    ax.set_xlabel("tokens seen")
    ax.set_ylabel("validation loss (nats / token)")
    ax.set_title(title)
    ax.legend(loc="upper right")
    return fig
