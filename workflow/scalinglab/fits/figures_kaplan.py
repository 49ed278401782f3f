"""Figures 6-8: Kaplan et al. 2020's power laws on the pipeline's runs (data in, Figure out).

`fit` is the JSON the fits_kaplan_runs rule writes (scalinglab.fits.analysis.kaplan_runs);
`curves` the runs' metrics rows with columns run, N, fraction, step, flops, loss.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..fits.kaplan import (KaplanJointLaw, LearningCurveLaw, PowerLaw, kaplan_joint_loss,
                           learning_curve_loss, power_law_loss)
from ..fits.published import KAPLAN_2020, KAPLAN_2020_TABLE2, PF_DAY_FLOPS
from ..style import (PALETTE, legend_below, legend_outside, logged_steps, loglog, new_figure, percent,
                     sequential_colors, size_colors, size_handles, size_legend)


def _law(cls, d):
    return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def _entropy_line(ax, entropy):
    if entropy is not None:
        ax.axhline(entropy, color="0.3", ls=":", lw=1.2,
                   label=f"irreducible loss {entropy:.3f} (corpus entropy)")


def plot_kaplan_power_laws(fit: dict, curves: pd.DataFrame):
    """Kaplan Fig. 1: L(C_min), L(D), L(N) with fitted power laws (log-log)."""
    fig, axes = new_figure(3, 1, width=4.4, height=3.7)
    ax_c, ax_d, ax_n = axes[0]
    entropy = fit.get("entropy_per_token_nats")
    full = curves[curves["fraction"] == curves["fraction"].max()]
    colors = size_colors(full["N"])
    for N, g in full.groupby("N"):
        g = logged_steps(g, "flops")
        ax_c.plot(g["flops"] / PF_DAY_FLOPS, g["loss"], color=colors[N], lw=0.9, alpha=0.7)
    lc = fit["L_C"]
    law_c = _law(PowerLaw, lc["law_pf_days"])
    C = np.asarray(lc["C"]) / PF_DAY_FLOPS
    ax_c.plot(C, lc["L"], "k.", ms=3, label="envelope (lowest loss at each compute)")
    ax_c.plot(C, power_law_loss(C, law_c), color=PALETTE[1], ls="--",
              label=f"$L=(C_c/C)^{{\\alpha_C}}$, $\\alpha_C$={law_c.alpha:.3f} "
                    f"(paper {KAPLAN_2020['alpha_C']})")
    ax_c.set(xlabel="compute C (PF-days)", ylabel="validation loss (nats/token)",
             title="L(C_min)")

    ld = fit["L_D"]
    law_d = _law(PowerLaw, ld["law"])
    D = np.asarray(ld["D"])
    Dg = np.geomspace(D.min() / 1.5, D.max() * 1.5, 100)
    ax_d.plot(D, ld["L"], "o", color=PALETTE[0], label="largest model, early-stopped")
    ax_d.plot(Dg, power_law_loss(Dg, law_d), color=PALETTE[1], ls="--",
              label=f"$\\alpha_D$={law_d.alpha:.3f} (paper {KAPLAN_2020['alpha_D']})")
    ax_d.set(xlabel="dataset size D (tokens)", ylabel="validation loss (nats/token)",
             title="L(D)")

    ln = fit["L_N"]
    N = np.asarray(ln["N"])
    Ng = np.geomspace(N.min() / 1.5, N.max() * 1.5, 100)
    ax_n.plot(N, ln["L"], "o", color=PALETTE[0], label="most data, final loss")
    for (variant, law_d_), color in zip(ln["laws"].items(), (PALETTE[1], PALETTE[2])):
        law_n = _law(PowerLaw, law_d_)
        extra = f", E={law_n.E:.2f}" if variant != "pure" else ""
        ax_n.plot(Ng, power_law_loss(Ng, law_n), color=color, ls="--",
                  label=f"{variant}: $\\alpha_N$={law_n.alpha:.3f}{extra} "
                        f"(paper {KAPLAN_2020['alpha_N']})")
    _entropy_line(ax_n, entropy)
    ax_n.set(xlabel="non-embedding parameters N", ylabel="validation loss (nats/token)",
             title="L(N)")
    for ax in (ax_c, ax_d, ax_n):
        loglog(ax)
    # Legends under the panels (three side by side at report width); the compute panel's names
    # the model sizes of its training curves too.
    legend_below(ax_c, handles=size_handles(full["N"]) + ax_c.get_legend_handles_labels()[0],
                 ncols=2, fontsize=8)
    for ax in (ax_d, ax_n):
        legend_below(ax, fontsize=8)
    return fig


def plot_kaplan_joint(fit: dict):
    """Kaplan Fig. 4 (left): early-stopped loss against N for each data size, with Eq. 1.5."""
    fig, axes = new_figure(1, 1, width=5.6, height=4.2)
    ax = axes[0, 0]
    j = fit["joint"]
    law = _law(KaplanJointLaw, j["law"])
    df = pd.DataFrame(dict(N=j["N"], D=j["D"], L=j["L"], fraction=j["fraction"]))
    Ng = np.geomspace(df["N"].min() / 1.5, df["N"].max() * 1.5, 100)
    fractions = sorted(df["fraction"].unique())
    for frac, color in zip(fractions, sequential_colors(len(fractions), "plasma")):
        g = df[df["fraction"] == frac].sort_values("N")
        D = float(np.median(g["D"]))
        ax.plot(g["N"], g["L"], "o", color=color, label=f"D = {D:.3g} tokens ({percent(frac)} of the data)")
        ax.plot(Ng, kaplan_joint_loss(Ng, D, law), color=color, ls="--", lw=1.2)
    _entropy_line(ax, fit.get("entropy_per_token_nats"))
    loglog(ax)
    ax.set(xlabel="non-embedding parameters N", ylabel="early-stopped validation loss (nats/token)",
           title=f"L(N, D), Eq. 1.5: $\\alpha_N$={law.alpha_N:.3f}, $\\alpha_D$={law.alpha_D:.3f} "
                 f"(paper {KAPLAN_2020_TABLE2['alpha_N']}, {KAPLAN_2020_TABLE2['alpha_D']})")
    ax.title.set_fontsize(10)
    legend_outside(ax, fontsize=8)
    return fig


def plot_kaplan_learning_curves(fit: dict, curves: pd.DataFrame):
    """Kaplan Fig. 2: validation loss against steps, coloured by model size, with Eq. 1.6."""
    fig, axes = new_figure(1, 1, width=5.6, height=4.2)
    ax = axes[0, 0]
    law = _law(LearningCurveLaw, fit["learning_curves"]["law"])
    full = curves[curves["fraction"] == curves["fraction"].max()]
    colors = size_colors(full["N"])
    for N, g in full.groupby("N"):
        g = logged_steps(g.sort_values("step"), "step")
        ax.plot(g["step"], g["loss"], color=colors[N])
        S = np.geomspace(max(g["step"].max() * 0.1, 1), g["step"].max(), 50)
        ax.plot(S, learning_curve_loss(N, S, law), color=colors[N], ls="--", lw=1)
    _entropy_line(ax, fit.get("entropy_per_token_nats"))
    loglog(ax)
    ax.set(xlabel="optimiser step S", ylabel="validation loss (nats/token)",
           title=f"L(N, S), Eq. 1.6 (dashed): $\\alpha_N$={law.alpha_N:.3f}, "
                 f"$\\alpha_S$={law.alpha_S:.3f}")
    ax.title.set_fontsize(10)
    ax.plot([], [], color="0.3", ls="--", lw=1, label="L(N, S) fit")
    legend = size_legend(ax, full["N"], fontsize=8)
    ax.legend(loc="lower left", bbox_to_anchor=(1.02, 0.0), borderaxespad=0.0, fontsize=8)
    ax.add_artist(legend)
    return fig
