"""Figures of Niu et al. 2024 (arXiv 2405.08707): one function per figure, data in, figure out.

1. :func:`fig1_energy_landscapes` — Niu Fig. 1: −lse, the regularised Hopfield energy, the distance
   energy, and the layered global energy with majorization-minimization paths.
2. :func:`fig2_distances` — the Section 6.1 histogram of nearest-memory distances with the
   theoretical radius sqrt(n/(2πe)) and the exact unit-volume-ball radius.
3. :func:`fig3_data_fraction` — Niu Fig. 3: train/validation loss of GPT-2 at 100%, 1%, 0.1%.
5. :func:`allocation` — N = O(D²) (Niu Section 5) beside Kaplan's and Chinchilla's allocations.
"""
from __future__ import annotations

import numpy as np
from matplotlib.ticker import NullFormatter

from ..style import PALETTE, legend_below, legend_outside, logged_steps, loglog, new_figure, percent
from . import energy as en
from .radius import theoretical_radius, unit_ball_radius


def fig1_energy_landscapes(patterns, second_layer_patterns, beta: float = 1.0, extent: float = 3.0,
                           resolution: int = 300):
    """Niu Fig. 1: four contour panels over [−extent, extent]², patterns marked."""
    patterns = np.asarray(patterns, dtype=float)
    layers = [patterns, np.asarray(second_layer_patterns, dtype=float)]
    panels = [
        (rf"(a) $-\mathrm{{lse}}(\beta={beta:g}, \xi^\top x)$", dict(energy=en.neg_lse_energy, patterns=patterns, beta=beta)),
        ("(b) Hopfield, regularised", dict(energy=en.hopfield_energy, patterns=patterns, beta=beta)),
        ("(c) distance energy", dict(energy=en.distance_energy, patterns=patterns)),
        ("(d) layered global energy", dict(energy=en.layered_global_energy, layers=layers)),
    ]
    fig, axes = new_figure(ncols=2, nrows=2, width=4.6, height=4.2)  # 2 x 2: readable at report width
    for ax, (title, spec) in zip(axes.flat, panels):
        X, Y, E = en.energy_grid(extent=extent, resolution=resolution, **spec)
        cs = ax.contourf(X, Y, E, levels=30, cmap="viridis")
        ax.contour(X, Y, E, levels=15, colors="white", linewidths=0.4, alpha=0.6)
        fig.colorbar(cs, ax=ax, shrink=0.8, label="energy")
        ax.scatter(patterns[:, 0], patterns[:, 1], c=PALETTE[1], marker="*", s=90, edgecolors="k",
                   linewidths=0.5, label="patterns (layer 1)", zorder=3)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("$x_1$")
        ax.set_aspect("equal")
        ax.grid(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("$x_2$")
    ax = axes[1][1]
    ax.scatter(layers[1][:, 0], layers[1][:, 1], c=PALETTE[6], marker="P", s=70, edgecolors="k",
               linewidths=0.5, label="patterns (layer 2)", zorder=3)
    for start in ((-2.5, 2.5), (2.5, -2.5), (0.0, 2.8), (-0.5, -2.8)):
        path = en.mm_trajectory(start, layers, steps=15)
        ax.plot(path[:, 0], path[:, 1], "-o", color="white", ms=2.5, lw=1.0, zorder=4)
    ax.plot([], [], "-o", color="0.6", ms=2.5, label="MM iterates (white paths)")  # visible on a white legend
    # one legend under the grid, off the contours (panel (d)'s entries include panel (a)'s)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=9)
    return fig


def fig2_distances(checkpoints: dict):
    """Nearest-memory distance histograms, one panel and colour per checkpoint.

    `checkpoints`: {label: {"histogram": table of bin_left, bin_right, density (memory_distances'
    histogram.csv), "n_embd": int, "queries": int} or {"unavailable": reason}}.
    """
    labels = list(checkpoints)
    if not labels:
        raise ValueError("fig2_distances: no checkpoints to draw")
    fig, axes = new_figure(ncols=len(labels), width=3.8, height=3.2)
    for k, (ax, label) in enumerate(zip(axes[0], labels)):
        entry = checkpoints[label]
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("distance to nearest memory (L2)")
        if "unavailable" in entry:
            ax.text(0.5, 0.5, "not available:\n" + entry["unavailable"][:120], ha="center", va="center",
                    wrap=True, fontsize=8, transform=ax.transAxes)
            continue
        hist, n = entry["histogram"], int(entry["n_embd"])
        edges = np.append(hist["bin_left"].to_numpy(float), hist["bin_right"].to_numpy(float)[-1:])
        label = f"{int(entry['queries']):,} queries, n = {n}"
        if entry.get("state_norm_mean") is not None:
            label += f"\nstates' mean norm {entry['state_norm_mean']:.2f} (√n = {np.sqrt(n):.2f})"
        if entry.get("fraction_near_copies") is not None:
            label += f"\n{entry['fraction_near_copies']:.0%} near-copies (< 0.1 √(n/2πe))"
        ax.stairs(hist["density"].to_numpy(float), edges, fill=True, color=PALETTE[k % len(PALETTE)], alpha=0.8,
                  label=label)
        r_theory, r_exact = theoretical_radius(n), unit_ball_radius(n)
        ax.axvline(r_theory, color="k", ls="--", lw=1.2, label=f"√(n/2πe) = {r_theory:.2f}")
        ax.axvline(r_exact, color="k", ls=":", lw=1.4, label=f"unit-ball radius = {r_exact:.2f}")
        legend_below(ax, fontsize=8)
    axes[0][0].set_ylabel("density")
    return fig


def fig3_data_fraction(curves: dict, model: str | None = None):
    """Niu Fig. 3: train (left) and validation (right) loss against tokens seen, one colour per fraction.

    `curves`: {fraction (float): metrics DataFrame with columns tokens, train_loss, val_loss};
    `model` names the model size(s) trained, the title of the legend.
    """
    if not curves:
        raise ValueError("fig3_data_fraction: no runs to draw")
    fig, axes = new_figure(ncols=2, width=4.6, height=3.6, sharey=True)
    for k, fraction in enumerate(sorted(curves, reverse=True)):
        df = curves[fraction]
        df = logged_steps(df, "tokens")
        color = PALETTE[k % len(PALETTE)]
        for ax, column in zip(axes[0], ("train_loss", "val_loss")):
            ax.plot(df["tokens"], df[column], color=color, label=f"{percent(fraction)} of the data")
    for ax, what in zip(axes[0], ("training", "validation")):
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on short ranges
        ax.set_xlabel("tokens seen")
        ax.set_title(f"{what} loss")
    axes[0][0].set_ylabel("cross-entropy (nats / token)")
    legend_outside(axes[0][1], title=model)
    return fig


def allocation(result: dict, tokens: np.ndarray, runs: list | None = None):
    """N against D for each allocation rule (from :func:`scalinglab.memory.allocation.allocation_curves`),
    all through one anchor; `runs` optionally adds (label, N, D) points of this project's runs."""
    fig, axes = new_figure(width=5.8, height=4.4)
    ax = loglog(axes[0][0])
    styles = ["-", "--", ":", "-.", (0, (5, 1, 1, 1))]
    for k, (label, (exponent, N)) in enumerate(result["curves"].items()):
        ax.plot(tokens, N, ls=styles[k % len(styles)], color=PALETTE[k % len(PALETTE)],
                label=f"{label}: N ∝ D^{exponent:.2f}")
    N0, D0 = result["anchor"]
    ax.plot([D0], [N0], "ko", ms=5, label=f"anchor: N = {N0:.3g}, D = {D0:.3g}")
    for label, N, D in runs or []:
        ax.plot([D], [N], "s", color=PALETTE[7], ms=5)
        ax.annotate(label, (D, N), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("training tokens D")
    ax.set_ylabel("parameters N")
    legend_outside(ax, fontsize=8)
    return fig
