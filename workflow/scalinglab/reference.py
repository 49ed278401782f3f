"""Reference losses a user compares a run against, and a sanity verdict per run.

Published values (nats per GPT-2 token on OpenWebText validation):
- OpenAI GPT-2 small (124M) evaluated on OpenWebText: 3.12; GPT-2 medium (350M): 2.84
  (as reported in nanoGPT's README, "baselines").
- nanoGPT's GPT-2 124M trained from scratch on OpenWebText (~300B tokens): val ≈ 2.85.
For the synthetic corpus the floor is exact: its entropy rate (`entropy_per_token_nats` in the
token sidecar). For any corpus, predicting uniformly over the vocabulary costs log(V): a run whose
loss stays there has learned nothing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .style import PALETTE, new_figure


@dataclass(frozen=True)
class ReferenceLoss:
    label: str
    loss: float
    kind: str  # "published" | "floor" | "ceiling"


OPENWEBTEXT_REFERENCES = (
    ReferenceLoss("OpenAI GPT-2 small (124M) on OWT", 3.12, "published"),
    ReferenceLoss("OpenAI GPT-2 medium (350M) on OWT", 2.84, "published"),
    ReferenceLoss("nanoGPT 124M from scratch", 2.85, "published"),
)


def reference_losses(sidecar: dict) -> list[ReferenceLoss]:
    """The references that apply to the corpus described by a token sidecar (val.json)."""
    refs: list[ReferenceLoss] = []
    if sidecar.get("source") == "openwebtext" and sidecar.get("tokenizer") == "gpt2":
        refs.extend(OPENWEBTEXT_REFERENCES)
    entropy = sidecar.get("entropy_per_token_nats")
    if entropy is not None:
        refs.append(ReferenceLoss("entropy rate of the corpus (exact floor)", float(entropy), "floor"))
    vocab = int(sidecar["vocab_size"])
    refs.append(ReferenceLoss(f"uniform over {vocab} tokens, log V", math.log(vocab), "ceiling"))
    return refs


def loss_verdict(final_val_loss: float, refs: list[ReferenceLoss], tolerance: float = 0.02) -> str:
    """One word on whether a final validation loss looks normal against the references."""
    if not math.isfinite(final_val_loss):
        return "diverged"
    floors = [r.loss for r in refs if r.kind == "floor"]
    ceilings = [r.loss for r in refs if r.kind == "ceiling"]
    if floors and final_val_loss < min(floors) - tolerance:
        return "below floor (leak?)"
    if ceilings and final_val_loss > max(ceilings) - tolerance:
        return "not learning"
    return "normal"


# ---- Figure 13: the project's validation curves beside the reference losses a run should land near.
_REF_STYLE = {"published": ("-", "#555555"), "floor": ("--", "#000000"), "ceiling": (":", "#999999")}


def expected_loss_bands(curves: dict[str, pd.DataFrame], refs: list[ReferenceLoss],
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
