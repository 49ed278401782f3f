"""Figures of the quantization model on multitask sparse parity (Michaud et al. 2023).

Figure 12 (scaling): (a) loss against parameters (width sweep), (b) loss against
training samples (data sweep), each with the straight-line fit of the loss over the fit range and
the theory's slope; (c) the exponents α·β (from the learned quanta, see quantization.fit)
against the theory (α_N = α, α_D = α/(α+1)) for every alpha swept, with the line y = x.
Figure 13 (subtask_curves): the test loss of every subtask against training step, coloured by
frequency rank: the subtask run (many bits: long plateaus, abrupt drops) beside the widest net of
the width sweep (the exponents' few bits: no plateau).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scalinglab.style import PALETTE, legend_below, loglog, new_figure, save, sequential_colors
from scalinglab.quantization.theory import UNLEARNED_LOSS

_PANELS = {"width": ("params", "parameters N", "alpha_N", "α_N"),
           "data": ("samples", "training samples D", "alpha_D", "α_D")}


def _scaling_panel(ax, points, exponents, sweep, alpha):
    x_col, xlabel, _, symbol = _PANELS[sweep]
    pts = points[(points["sweep"] == sweep) & np.isclose(points["alpha"], alpha)].sort_values(x_col)
    inside = pts["in_fit_range"].astype(bool)
    ax.plot(pts[x_col], pts["loss"], color=PALETTE[0], lw=0.8, alpha=0.5)
    ax.scatter(pts.loc[inside, x_col], pts.loc[inside, "loss"], color=PALETTE[0], zorder=3,
               label="in fit range")
    ax.scatter(pts.loc[~inside, x_col], pts.loc[~inside, "loss"], facecolor="none",
               edgecolor=PALETTE[0], zorder=3, label="outside fit range")
    fit = exponents[(exponents["sweep"] == sweep) & np.isclose(exponents["alpha"], alpha)]
    if len(fit) and np.isfinite(fit["fitted"].iloc[0]):
        f = fit.iloc[0]
        xs = np.geomspace(f["x_min"], f["x_max"], 50)
        ax.plot(xs, f["loss_coefficient"] * xs ** -f["loss_fitted"], color=PALETTE[1],
                label=f"line through L: {f['loss_fitted']:.2f} (finite T)")
        # The theory's slope through the fit's geometric centre, for the eye.
        xc = np.sqrt(f["x_min"] * f["x_max"])
        yc = f["loss_coefficient"] * xc ** -f["loss_fitted"]
        ax.plot(xs, yc * (xs / xc) ** -f["theory"], color=PALETTE[2], ls="--",
                label=f"theory {symbol} = {f['theory']:.2f}")
        ax.text(0.97, 0.97, f"{symbol} = α·β = {f['fitted']:.2f} [{f['low']:.2f}, {f['high']:.2f}]\n"
                f"from learned quanta, {int(f['n_points'])} points", transform=ax.transAxes,
                ha="right", va="top", fontsize=8)
    elif len(fit):
        ax.text(0.03, 0.05, "too few points in fit range", transform=ax.transAxes, fontsize=8)
    loglog(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test loss (nats, Zipf-weighted)")
    ax.set_title(f"{'(a)' if sweep == 'width' else '(b)'} α+1 = {alpha + 1:g}")
    legend_below(ax, fontsize=8)


def scaling(points: pd.DataFrame, exponents: pd.DataFrame, alpha: float, png_path) -> None:
    """Write the three-panel figure to `png_path` (+ .pdf)."""
    fig, axes = new_figure(ncols=3, width=4.4, height=3.8)
    _scaling_panel(axes[0, 0], points, exponents, "width", alpha)
    _scaling_panel(axes[0, 1], points, exponents, "data", alpha)
    ax = axes[0, 2]
    fitted = exponents[np.isfinite(exponents["fitted"])]
    for color, (sweep, (_, _, _, symbol)) in zip(PALETTE, _PANELS.items()):
        sub = fitted[fitted["sweep"] == sweep]
        ax.errorbar(sub["theory"], sub["fitted"], yerr=[sub["fitted"] - sub["low"], sub["high"] - sub["fitted"]],
                    fmt="o", color=color, capsize=3, label=f"{symbol} ({int(sub['level'].iloc[0] * 100) if len(sub) else 95}% interval)")
    lim = [0, max(1e-3, float(np.nanmax(np.r_[exponents["theory"], fitted["high"]]))) * 1.1]
    ax.plot(lim, lim, color="0.4", ls=":", label="y = x")
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("theory exponent (α or α/(α+1))")
    ax.set_ylabel("fitted exponent")
    ax.set_title("(c) fitted against theory")
    legend_below(ax, fontsize=8)
    save(fig, png_path)


def subtask_curves(runs: dict, alpha: float, png_path, sweep_panels: int = 1) -> None:
    """Test loss of each subtask against step: one panel per width of the subtask run
    (runs["subtask_run"] = (curves, n_bits)), then the widest `sweep_panels` widths of the width
    sweep (runs["width_sweep"]), for contrast: few bits, no plateau."""
    panels = []
    for name, (curves, n_bits) in runs.items():
        widths = sorted(curves["width"].unique())
        if name == "width_sweep":
            widths = widths[-sweep_panels:]
        label = "subtask run" if name == "subtask_run" else "width sweep"
        panels += [(f"{label}: width {w}, n = {n_bits} bits", curves[curves["width"] == w]) for w in widths]
    fig, axes = new_figure(ncols=len(panels), width=4.0, height=3.4)
    n_tasks = max(int(c["task"].max()) for c, _ in runs.values())
    colors = sequential_colors(n_tasks)
    for ax, (title, sub) in zip(axes[0], panels):
        for task, g in sub.groupby("task", sort=True):
            g = g.sort_values("step")
            ax.plot(g["step"], g["loss"], color=colors[int(task) - 1], lw=1.0,
                    label=f"subtask {task}" if task in (1, n_tasks // 2, n_tasks) else None)
        ax.axhline(UNLEARNED_LOSS, color="0.4", ls=":", lw=1, label="chance (log 2)")
        ax.set_xlabel("training step")
        ax.set_ylabel("test loss of the subtask (nats)")
        ax.set_ylim(0, 1.15 * max(UNLEARNED_LOSS, float(sub["loss"].quantile(0.99))))
        ax.set_title(f"{title}, α+1 = {alpha + 1:g}", fontsize=9)
    axes[0][0].legend(loc="lower left", fontsize=7, title="rank 1 = most frequent", title_fontsize=7)
    save(fig, png_path)
