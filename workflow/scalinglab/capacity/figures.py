"""Figures of the capacity experiment (one function per figure)."""
from __future__ import annotations

import numpy as np

from scalinglab.style import PALETTE, loglog, new_figure


def plot_n_vs_d(fit: dict):
    """(a) N_min against D (log-log): brackets from the ladder search, the fitted line with its
    interval, and reference slopes 1 (linear capacity), 1.35 (Kaplan Eq. 4.4) and 2 (Niu et al.)
    through the centre of the points; censored pattern counts (left out of the fit) open: triangles at
    the ladder's ends, an open bracket where the failing rung was step-limited.
    (b) Bits stored per parameter at N_min: flat under a linear capacity, falling as 1/D under N ∝ D²."""
    fig, axes = new_figure(ncols=2, width=5.2, height=4.3)
    ax = loglog(axes[0][0])
    pts = fit["points"]
    d = np.array([p["patterns"] for p in pts], dtype=float)
    n = np.array([p["min_params"] for p in pts], dtype=float)
    lo = np.array([p["params_lo"] for p in pts], dtype=float)
    hi = np.array([p["params_hi"] for p in pts], dtype=float)
    ax.errorbar(d, n, yerr=[n - lo, hi - n], fmt="o", color=PALETTE[7], ms=5, capsize=3,
                label="N_min (bar: failing rung … memorising rung)", zorder=5)
    # Censored pattern counts (left out of the fit by fit.json's fit_rule), open markers in grey/red.
    all_d = list(d)
    for c in fit.get("censored", []):
        all_d.append(c["patterns"])
        if c["censored"] == "above":
            ax.plot([c["patterns"]], [c["params_lo"]], "^", mfc="none", color=PALETTE[1], ms=7,
                    label="censored: largest rung fails (N_min above; left out)")
        elif c["censored"] == "below":
            ax.plot([c["patterns"]], [c["params_hi"]], "v", mfc="none", color=PALETTE[1], ms=7,
                    label="censored: smallest rung memorises (N_min below; left out)")
        else:  # steps: the bracket, open, because its lower end is the step budget's
            mid = (c["params_lo"] * c["params_hi"]) ** 0.5
            ax.errorbar([c["patterns"]], [mid], yerr=[[mid - c["params_lo"]], [c["params_hi"] - mid]], fmt="o",
                        mfc="none", color=PALETTE[1], ms=6, capsize=3,
                        label="censored: failing rung step-limited (left out)")
    if len(d) == 0:
        ax.set_title("(a) no capacity-limited point: no fit", fontsize=9)
        ax.set_xlabel("patterns memorised D")
        ax.legend(fontsize=6.5, loc="upper left")
        fig.suptitle(f"criterion: {fit['criterion']}", fontsize=8)
        axes[0][1].set_axis_off()
        return fig
    grid = np.geomspace(min(all_d) / 1.3, max(all_d) * 1.3, 50)
    x0 = np.exp(np.mean(np.log(d)))
    fitted = np.isfinite(fit["exponent"])
    # without an exponent the references pass through the points' centre
    y0 = np.exp(fit["intercept"] + fit["exponent"] * np.mean(np.log(d))) if fitted else np.exp(np.mean(np.log(n)))
    if fitted:
        b = fit["exponent"]
        ax.plot(grid, y0 * (grid / x0) ** b, color=PALETTE[0], lw=2,
                label=f"fit: N_min ∝ D^{b:.2f} [{fit['lo']:.2f}, {fit['hi']:.2f}] ({fit['level']:g})")
        ax.fill_between(grid, y0 * (grid / x0) ** fit["lo"], y0 * (grid / x0) ** fit["hi"], color=PALETTE[0],
                        alpha=0.15, lw=0)
    for k, ref in enumerate(fit["references"]):
        ax.plot(grid, y0 * (grid / x0) ** ref["exponent"], ls=["--", "-.", ":"][k % 3],
                color=PALETTE[(k + 2) % len(PALETTE)], lw=1.2, label=f"slope {ref['exponent']:.2f}: {ref['name']}")
    ax.set_xlabel("patterns memorised D")
    ax.set_ylabel(f"smallest memorising model N_min ({fit['params_convention']})")
    ax.set_title("(a) smallest memorising model", fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=6.5, loc="upper left")

    bx = axes[0][1]
    bx.set_xscale("log")
    bits = d * fit["bits_per_pattern"]
    bpp = bits / n
    bx.errorbar(d, bpp, yerr=[bpp - bits / hi, bits / lo - bpp], fmt="o", color=PALETTE[7], ms=5, capsize=3,
                label="bits / N_min (bar: memorising … failing rung)")
    for c in fit.get("censored", []):  # open: left out of the fit
        cb = c["patterns"] * fit["bits_per_pattern"]
        if c["censored"] == "below":  # at least bits / smallest rung
            bx.plot([c["patterns"]], [cb / c["params_hi"]], "^", mfc="none", color=PALETTE[1], ms=7,
                    label="censored below (at least)")
        elif c["censored"] == "above":  # at most bits / largest rung
            bx.plot([c["patterns"]], [cb / c["params_lo"]], "v", mfc="none", color=PALETTE[1], ms=7,
                    label="censored above (at most)")
        else:
            mid = cb / (c["params_lo"] * c["params_hi"]) ** 0.5
            bx.errorbar([c["patterns"]], [mid], yerr=[[mid - cb / c["params_hi"]], [cb / c["params_lo"] - mid]],
                        fmt="o", mfc="none", color=PALETTE[1], ms=6, capsize=3, label="censored: step-limited")
    k = np.argmax(d)
    for ref, ls in zip(fit["references"], ["--", "-.", ":"]):
        # through the largest D's point: where each reference takes the measured capacity
        bx.plot(grid, bpp[k] * (grid / d[k]) ** (1 - ref["exponent"]), ls=ls, lw=1.2,
                color=PALETTE[(fit["references"].index(ref) + 2) % len(PALETTE)], label=f"slope {ref['exponent']:.2f}")
    bx.set_ylim(0, max(3.0, 1.3 * float(np.max(bits / lo))))
    bx.set_xlabel("patterns memorised D")
    bx.set_ylabel("bits stored per parameter at N_min")
    bx.set_title("(b) information per parameter", fontsize=9)
    bx.legend(fontsize=6.5, loc="lower right")
    fig.suptitle(f"criterion: {fit['criterion']}", fontsize=8)
    return fig
