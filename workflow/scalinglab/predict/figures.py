"""Figures of prediction and planning: extrapolation checks, and the plan on the loss contours."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..fits.chinchilla import FLOPS_PER_PARAM_TOKEN
from .laws import PlanningLaw
from ..style import PALETTE, legend_below, loglog, new_figure


def actual_coverage(held: pd.DataFrame, lo_col: str, hi_col: str) -> tuple[int, int]:
    """(held-out points inside [lo, hi], held-out points with an interval)."""
    have = held[lo_col].notna() & held[hi_col].notna()
    h = held[have]
    return int(((h.measured >= h[lo_col]) & (h.measured <= h[hi_col])).sum()), int(have.sum())


def coverage_label(held: pd.DataFrame, lo_col: str, hi_col: str, what: str, level: float | None) -> str:
    """'bootstrap band: covers 2/23 (9%) of held-out, nominal 90%' — the figure states the actual
    coverage of its intervals, not only their nominal level."""
    k, n = actual_coverage(held, lo_col, hi_col)
    nominal = f", nominal {level:.0%}" if level is not None else ""
    return f"{what}: covers {k}/{n} ({k / n:.0%}) held out{nominal}" if n else what


def extrapolation(predictions: pd.DataFrame, title: str = "", level: float | None = None):
    """Relative error of the predicted final loss against training compute, one panel per law:
    fit points faint, held-out points with their bootstrap band (thick bars) and prediction
    interval (thin bars), each labelled with the share of held-out points it actually covers
    against its nominal `level`; the dotted line marks where the held-out region starts."""
    laws = list(dict.fromkeys(predictions["law"]))
    fig, axes = new_figure(ncols=len(laws), width=3.6, height=3.4, sharex=True, sharey=True)
    held_all = predictions[predictions.split == "held out"]
    boundary = held_all.C.min() if len(held_all) else None
    for ax, law in zip(axes[0], laws):
        g = predictions[predictions.law == law]
        fit, held = g[g.split == "fit"], g[g.split == "held out"]
        ax.axhline(0, color="0.4", lw=1, ls="--")
        if boundary is not None:
            ax.axvline(boundary, color="0.5", lw=1, ls=":")
        ax.scatter(fit.C, 100 * fit.rel_error, s=10, color=PALETTE[0], alpha=0.35,
                   label=f"fit ({len(fit)})")
        rel = 100 * held.rel_error
        for lo_col, hi_col, lw, alpha, what in (("pi_lo", "pi_hi", 0.9, 0.45, "prediction interval"),
                                                ("lo", "hi", 2.4, 0.9, "bootstrap band")):
            if held[lo_col].notna().any():
                label = coverage_label(held, lo_col, hi_col, what, level)
                lo = 100 * (held[lo_col] / held.measured - 1)
                hi = 100 * (held[hi_col] / held.measured - 1)
                ax.errorbar(held.C, rel, yerr=[(rel - lo).clip(lower=0), (hi - rel).clip(lower=0)],
                            fmt="none", ecolor=PALETTE[1], lw=lw, alpha=alpha, label=label)
        err = held.rel_error.abs().mean()
        ax.set_xscale("log")
        ax.scatter(held.C, rel, s=22, color=PALETTE[1], zorder=3,
                   label=f"held out ({len(held)}): mean |err| {100 * err:.1f}%")
        published = g.kind.iloc[0] == "published"
        if not published and held.lo.isna().all():
            ax.text(0.02, 0.02, "no bootstrap band (degenerate fit or n_boot = 0)",
                    transform=ax.transAxes, fontsize=7, color="0.3")
        ax.set_title(f"{law}\n(published constants)" if published else law, fontsize=10)
        ax.set_xlabel("training compute C = 6ND (FLOPs)")
        legend_below(ax, fontsize=7)
    axes[0][0].set_ylabel("predicted / measured loss − 1 (%)")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plan_contours(plan: dict, contour_law: PlanningLaw, laws: list[PlanningLaw]):
    """Chinchilla Fig. 4 style: loss contours of `contour_law` over (FLOPs, parameters), every
    law's compute-optimal frontier, the budget's IsoFLOP line and each law's plan on it, and the
    inference-aware model when the plan has one."""
    C0 = plan["flops"]
    C = np.logspace(np.log10(C0) - 4, np.log10(C0) + 2, 160)
    plans = {r["law"]: r for r in plan["plans"]}
    N_lo = min(r["params"] for r in plan["plans"]) / 1e3
    N_hi = max(r["params"] for r in plan["plans"]) * 30
    N = np.logspace(np.log10(N_lo), np.log10(N_hi), 160)
    CC, NN = np.meshgrid(C, N)
    L = contour_law.loss(NN, CC / (FLOPS_PER_PARAM_TOKEN * NN))
    fig, axes = new_figure(width=7.2, height=6.4)
    ax = loglog(axes[0][0])
    finite = L[np.isfinite(L)]
    levels = np.linspace(finite.min(), min(finite.max(), finite.min() + 1.5), 16)
    cs = ax.contourf(CC, NN, L, levels=levels, cmap="viridis", alpha=0.85, extend="both")
    fig.colorbar(cs, ax=ax, label=f"loss, {contour_law.name} (nats/token)")
    for i, law in enumerate(laws):
        color = PALETTE[(i + 1) % len(PALETTE)]
        ax.plot(C, law.allocate(C)[0], color=color, lw=1.4, label=f"{law.name}: N_opt ∝ C^{law.a:.2f}")
        r = plans[law.name]
        ax.scatter([C0], [r["params"]], color=color, edgecolor="black", s=55, zorder=4)
    ax.axvline(C0, color="white", lw=1.2, ls="--")
    hw = plan.get("hardware")
    label = (f"{hw['gpus']:g} x {hw['gpu_type']}, {hw['days']:g} d, MFU {hw['mfu']:g}"
             if hw else "budget")
    # left of the budget line: four of the six decades drawn lie left of it, so the label fits
    ax.annotate(f"{label}\n= {C0:.2g} FLOPs", (C0, N_hi / 3), color="white", fontsize=8,
                ha="right", va="top", xytext=(-4, 0), textcoords="offset points")
    for r in plan.get("inference_aware", []):
        if r["law"] == contour_law.name:
            ax.scatter([r["train_flops"]], [r["params"]], marker="*", s=160, color="white",
                       edgecolor="black", zorder=5,
                       label=f"inference-aware ({plan['inference_tokens']:.0e} tok served)")
    ax.set_xlim(C[0], C[-1])
    ax.set_ylim(N_lo, N_hi)
    ax.set_xlabel("training compute C = 6ND (FLOPs)")
    ax.set_ylabel("parameters N")
    # legend and the note on the pipeline's own fits go under the panel, off the contours
    legend_below(ax, ncols=2, fontsize=7, title=plan_note(plan) or None, title_fontsize=7)
    return fig


def plan_note(plan: dict) -> str:
    """What the plan figure must say about the pipeline's own fits: how far the budget lies from
    the compute each was fitted on, and which were left out (beyond predict.plan.max_extrapolation,
    or unusable)."""
    limit = plan.get("max_extrapolation")
    used = set(plan.get("fitted_tables", []))
    lines = []
    for r in plan.get("fitted_ranges", []):
        name = r["law"].removeprefix("pipeline: ")
        ratio = r["ratio"]
        far = f"budget {ratio:.2g}x" if ratio == ratio else "fitted range unknown"
        lines.append(f"{'used' if r['table'] in used else 'left out'}: {name} ({far})")
    ranged = {r["table"] for r in plan.get("fitted_ranges", [])}
    for s in plan.get("skipped", []):
        if s["table"] not in ranged:
            lines.append(f"left out: {s['table']} (no usable law)")
    if lines and limit:
        lines.insert(0, f"own fits: only within {limit:g}x of their largest fitted compute")
    return "\n".join(lines)
