"""Figures 6-11: Kaplan et al. 2020 and Hoffmann et al. 2022 (Chinchilla) on the pipeline's runs
and on the public points. One function per paper figure, named after its file
(results/figures/fits_<name>.png): data in, matplotlib Figure out.

`fit` is the JSON that fits_kaplan_runs, fits_chinchilla_runs or fits_chinchilla_public writes
(scalinglab.fits.analysis); `curves` the runs' metrics rows (run, N, fraction, budget, step, flops, loss).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .chinchilla import ChinchillaFit, chinchilla_loss, compute_optimal_allocation, tokens_per_parameter
from .kaplan import (KaplanJointLaw, LearningCurveLaw, PowerLaw, ProportionalLaw, kaplan_joint_loss,
                     learning_curve_loss, power_law_loss)
from .published import BESIROGLU_2024, HOFFMANN_2022, KAPLAN_2020, KAPLAN_2020_TABLE2, PF_DAY_FLOPS, ChinchillaLaw
from ..intervals import central_band
from ..style import (PALETTE, compact_number, legend_below, legend_outside, logged_steps, loglog,
                     new_figure, percent, sequential_colors, size_colors, size_handles, size_legend)


def _law(cls, d):
    """A fitted law (dataclass) from its JSON dict."""
    return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


# ---- Kaplan et al. 2020 (figures 6-8)


def _entropy_line(ax, entropy, floor=None):
    """The trainer's reachable floor (entropy of its windows) and the corpus entropy rate."""
    if floor is not None:
        ax.axhline(floor, color="0.3", ls=":", lw=1.2,
                   label=f"trainer's floor {floor:.3f}")
    if entropy is not None:
        ax.axhline(entropy, color="0.55", ls=(0, (1, 3)), lw=1.0,
                   label=f"entropy rate {entropy:.3f} (position known)")


def _reference(fit: dict, key: str) -> str:
    """'theory 0.5, WebText 0.076': the corpus-specific reference first, the published one after."""
    alpha = fit.get("corpus_alpha")
    published = KAPLAN_2020[key]
    if alpha is None:
        return f"WebText {published}"
    from ..verdicts.claims import kaplan_theory

    return f"theory {kaplan_theory(alpha)[key]:.3g}; WebText {published}"


def _joint_reference(fit: dict) -> str:
    """Reference exponents of L(N, D): the corpus's quantization theory first, WebText's after."""
    published = f"WebText Table 2: {KAPLAN_2020_TABLE2['alpha_N']}, {KAPLAN_2020_TABLE2['alpha_D']}"
    alpha = fit.get("corpus_alpha")
    if alpha is None:
        return published
    from ..verdicts.claims import kaplan_theory

    t = kaplan_theory(alpha)
    return f"quantization theory {t['alpha_N']:.3g}, {t['alpha_D']:.3g}; {published}"


def _theory_slope(ax, x, y, slope: float, label: str):
    """A line of the corpus theory's slope through the data's (log) centre, over the data's range."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(y) & (y > 0)
    x0, y0 = np.exp(np.mean(np.log(x[ok]))), np.exp(np.mean(np.log(y[ok])))
    xs = np.geomspace(x[ok].min(), x[ok].max(), 50)
    ax.plot(xs, y0 * (xs / x0) ** -slope, color="0.2", ls=":", lw=1.6, label=label)


def _kaplan_fig1_reducible(fit: dict, curves: pd.DataFrame):
    """Figure 1 on the reducible loss L - E_floor (floor known): the fits the verdicts judge, the
    corpus theory's slopes through the data, WebText's exponents named as reference only."""
    from ..verdicts.claims import kaplan_theory

    red = fit["reducible"]
    E = float(red["E"])
    alpha = fit.get("corpus_alpha")
    theory = kaplan_theory(alpha) if alpha is not None else None
    joint = _law(KaplanJointLaw, red["joint"]) if red.get("joint") else None
    laws = {k: _law(PowerLaw, v) for k, v in red["laws"].items()}
    fig, axes = new_figure(3, 1, width=4.4, height=3.7)
    ax_c, ax_d, ax_n = axes[0]
    ylabel = "L - E_floor (nats/token)"

    def theory_line(ax, x, y, key):
        if theory is not None:
            _theory_slope(ax, x, y, theory[key], f"corpus theory: slope {theory[key]:.3g}")

    def title(ax, name, key):
        sym = "$\\alpha_" + key[-1] + "$"
        ax.set_title(f"{name} - E_floor, E_floor = {E:.3f}\n(WebText {sym} = {KAPLAN_2020[key]}, "
                     f"no E: reference only)", fontsize=9)

    full = curves[curves["fraction"] == curves["fraction"].max()]
    colors = size_colors(full["N"])
    for N, g in full.groupby("N"):
        g = logged_steps(g, "flops")
        r = g["loss"] - E
        ax_c.plot(g["flops"] / PF_DAY_FLOPS, r.where(r > 0), color=colors[N], lw=0.9, alpha=0.7)
    lc = fit["L_C"]
    C = np.asarray(lc["C"]) / PF_DAY_FLOPS
    RC = np.asarray(lc["L"]) - E
    ax_c.plot(C, RC, "k.", ms=3, label="envelope (lowest loss at each compute)")
    if "C_pf_days" in laws:
        law = laws["C_pf_days"]
        ax_c.plot(C, power_law_loss(C, law) - E, color=PALETTE[1], ls="--",
                  label=f"fit: $\\alpha_C$={law.alpha:.3f}")
    theory_line(ax_c, C, RC, "alpha_C")
    ax_c.set(xlabel="compute C (PF-days)", ylabel=ylabel)
    title(ax_c, "L(C_min)", "alpha_C")

    def size_panel(ax, x, key, point_label, joint_curve, joint_at):
        """L(D) or L(N) - E_floor: the points, their power law, Eq. 1.5 at the other variable's
        largest value, the theory slope. Returns the grid the curves were drawn on."""
        x, R = np.asarray(x), np.asarray(fit[f"L_{key}"]["L"]) - E
        grid = np.geomspace(x.min() / 1.5, x.max() * 1.5, 100)
        sym = f"$\\alpha_{key}$"
        ax.plot(x, R, "o", color=PALETTE[0], label=point_label)
        if key in laws:
            ax.plot(grid, power_law_loss(grid, laws[key]) - E, color=PALETTE[1], ls="--",
                    label=f"power law: {sym}={laws[key].alpha:.3f}")
        if joint is not None:
            ax.plot(grid, joint_curve(grid) - E, color=PALETTE[2], ls="-.",
                    label=f"Eq. 1.5 at {joint_at}: {sym}={getattr(joint, f'alpha_{key}'):.3f}")
        theory_line(ax, x, R, f"alpha_{key}")
        title(ax, f"L({key})", f"alpha_{key}")
        return grid

    N_max = float(np.max(fit["L_N"]["N"]))
    D_full = float(np.max(fit["joint"]["D"]))
    size_panel(ax_d, fit["L_D"]["D"], "D", "largest model, early-stopped",
               lambda D: kaplan_joint_loss(N_max, D, joint), f"N = {N_max:,.0f}")
    ax_d.set(xlabel="dataset size D (tokens)", ylabel=ylabel)
    ln = fit["L_N"]
    Ng = size_panel(ax_n, ln["N"], "N", "most data, final loss",
                    lambda N: kaplan_joint_loss(N, D_full, joint), f"D = {compact_number(D_full)}")
    with_E = ln["laws"].get("with E")
    if with_E is not None:
        law = _law(PowerLaw, with_E)
        ax_n.plot(Ng, power_law_loss(Ng, law) - E, color=PALETTE[3], ls=(0, (5, 2, 1, 2)), lw=1.0,
                  label=f"fitted E = {law.E:.3f}: $\\alpha_N$={law.alpha:.3f}")
    ax_n.set(xlabel="non-embedding parameters N", ylabel=ylabel)
    for ax in (ax_c, ax_d, ax_n):
        loglog(ax)
    legend_below(ax_c, handles=size_handles(full["N"]) + ax_c.get_legend_handles_labels()[0],
                 ncols=2, fontsize=8)
    for ax in (ax_d, ax_n):
        legend_below(ax, fontsize=8)
    return fig


def kaplan_fig1_power_laws(fit: dict, curves: pd.DataFrame):
    """Kaplan Fig. 1: L(C_min), L(D), L(N) with fitted power laws (log-log); on the reducible
    loss L - E_floor when the corpus's floor is known (`_kaplan_fig1_reducible`)."""
    red = fit.get("reducible")
    if red and red.get("laws"):
        return _kaplan_fig1_reducible(fit, curves)
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
                    f"({_reference(fit, 'alpha_C')})")
    ax_c.set(xlabel="compute C (PF-days)", ylabel="validation loss (nats/token)",
             title="L(C_min)")

    ld = fit["L_D"]
    law_d = _law(PowerLaw, ld["law"])
    D = np.asarray(ld["D"])
    Dg = np.geomspace(D.min() / 1.5, D.max() * 1.5, 100)
    ax_d.plot(D, ld["L"], "o", color=PALETTE[0], label="largest model, early-stopped")
    ax_d.plot(Dg, power_law_loss(Dg, law_d), color=PALETTE[1], ls="--",
              label=f"$\\alpha_D$={law_d.alpha:.3f} ({_reference(fit, 'alpha_D')})")
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
                        f"({_reference(fit, 'alpha_N')})")
    _entropy_line(ax_n, entropy, fit.get("floor_nats"))
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


def kaplan_fig4_loss_n_d(fit: dict):
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
    _entropy_line(ax, fit.get("entropy_per_token_nats"), fit.get("floor_nats"))
    loglog(ax)
    ax.set(xlabel="non-embedding parameters N", ylabel="early-stopped validation loss (nats/token)",
           title=f"L(N, D), Eq. 1.5: $\\alpha_N$={law.alpha_N:.3f}, $\\alpha_D$={law.alpha_D:.3f}\n"
                 f"({_joint_reference(fit)})")
    ax.title.set_fontsize(10)
    legend_outside(ax, fontsize=8)
    return fig


def kaplan_fig2_learning_curves(fit: dict, curves: pd.DataFrame):
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
    _entropy_line(ax, fit.get("entropy_per_token_nats"), fit.get("floor_nats"))
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


# ---- Hoffmann et al. 2022 (figures 9-11)


def _line(law: ProportionalLaw, C):
    return law.k * np.asarray(C) ** law.exponent


def chinchilla_fig3_isoflop(fit: dict, curves: pd.DataFrame):
    """Chinchilla Figs. 2-3: training curves with their envelope (Approach 1), IsoFLOP
    parabolas (Approach 2), and N_opt, D_opt against compute from all three approaches."""
    fig, axes = new_figure(2, 2, width=4.8, height=3.8)  # 2 x 2: readable at report width
    (ax_env, ax_iso), (ax_n, ax_d) = axes
    a1, a2, a3 = fit["approach1"], fit["approach2"], fit["approach3"]
    law3 = _law(ChinchillaFit, a3["law"])

    colors = size_colors(curves["N"])
    for _, g in curves.groupby("run"):
        g = logged_steps(g, "flops")
        ax_env.plot(g["flops"], g["loss"], color=colors[g["N"].iloc[0]], lw=0.8, alpha=0.6)
    ax_env.plot(a1["C"], a1["loss"], "k-", lw=1.6, label="envelope (Approach 1)")
    loglog(ax_env)
    ax_env.set(xlabel="training FLOPs C", ylabel="validation loss (nats/token)",
               title="training curves")
    legend_outside(ax_env, handles=size_handles(curves["N"]) + ax_env.get_legend_handles_labels()[0],
                   fontsize=8)

    pts = pd.DataFrame(fit["points"])
    iso = pts[np.isfinite(pts["C"].astype(float))]
    budgets = sorted(iso["C"].unique())
    bcolors = dict(zip(budgets, sequential_colors(len(budgets), "plasma")))
    for C, g in iso.groupby("C"):
        ax_iso.plot(g["N"], g["L"], "o", color=bcolors[C], label=f"C = {C:.1e} FLOPs")
    for p in a2["profiles"]:
        c0, c1, c2 = p["coeffs"]
        g = iso[iso["C"] == p["C"]]
        x = np.linspace(np.log10(g["N"].min()) - 0.2, np.log10(g["N"].max()) + 0.2, 100)
        ax_iso.plot(10 ** x, c0 + c1 * x + c2 * x ** 2, color=bcolors[p["C"]], lw=1.1)
        # A minimum the sampled sizes do not bracket is an extrapolation, not a measured optimum
        # (Hoffmann et al. chose model ranges that bracket it): draw it hollow.
        ax_iso.plot(p["N_opt"], p["loss_opt"], "v", ms=8, mec="k",
                    color=bcolors[p["C"]] if p["reliable"] else "none")
    ax_iso.set_xscale("log")
    outside = sum(not p["reliable"] for p in a2["profiles"])
    title = "IsoFLOP profiles (Approach 2)"
    if outside:
        title += f"\n{outside} of {len(a2['profiles'])} minima not bracketed (hollow)"
    ax_iso.set(xlabel="parameters N", ylabel="final validation loss (nats/token)", title=title)
    legend_outside(ax_iso, fontsize=8)

    C_all = np.geomspace(min(min(a1["C"]), min(budgets)), max(max(a1["C"]), max(budgets)), 100)
    N3, D3 = compute_optimal_allocation(C_all, law3)
    for ax, key, lab, law3_line in ((ax_n, "N_opt", "N_opt (parameters)", N3),
                                    (ax_d, "D_opt", "D_opt (tokens)", D3)):
        law_key = "N_law" if key == "N_opt" else "D_law"
        e = "a" if key == "N_opt" else "b"
        ax.plot(a1["C"], a1[key], ".", color=PALETTE[0], ms=3, alpha=0.5)
        l1 = _law(ProportionalLaw, a1[law_key])
        ax.plot(C_all, _line(l1, C_all), color=PALETTE[0], label=f"Approach 1: {e}={l1.exponent:.2f}")
        for p in a2["profiles"]:
            ax.plot(p["C"], p[key], "v", mec="k", color=PALETTE[1] if p["reliable"] else "none")
        l2 = _law(ProportionalLaw, a2[law_key])
        ax.plot(C_all, _line(l2, C_all), color=PALETTE[1], label=f"Approach 2: {e}={l2.exponent:.2f}")
        ax.plot(C_all, law3_line, color=PALETTE[2], ls="--",
                label=f"Approach 3: {e}={a3[e]:.2f}")
        loglog(ax)
        ax.set(xlabel="training FLOPs C", ylabel=lab, title=f"{key} against compute")
        legend_outside(ax, fontsize=8)
    return fig


def chinchilla_fig4_contours(fit: dict):
    """Chinchilla Fig. 4 (left): contours of the Approach 3 law over (C, N), its efficient
    frontier N_opt(C), the runs it was fitted on and (hollow) the step-limited runs left out."""
    fig, axes = new_figure(1, 1, width=5.8, height=4.4)
    ax = axes[0, 0]
    law = _law(ChinchillaFit, fit["approach3"]["law"])
    pts = pd.DataFrame(fit["points"])
    C_pts = 6 * pts["N"] * pts["D"]
    C = np.geomspace(C_pts.min() / 3, C_pts.max() * 30, 200)
    N = np.geomspace(pts["N"].min() / 3, pts["N"].max() * 10, 200)
    CC, NN = np.meshgrid(C, N)
    L = chinchilla_loss(NN, CC / (6 * NN), law)
    levels = np.quantile(L, np.linspace(0.02, 0.9, 14))
    cs = ax.contourf(CC, NN, L, levels=np.unique(levels), cmap="viridis_r", extend="both")
    fig.colorbar(cs, ax=ax, label="predicted loss (nats/token)")
    N_opt, _ = compute_optimal_allocation(C, law)
    ax.plot(C, N_opt, color="w", lw=2.2, label=f"efficient frontier, N_opt ∝ C^{fit['approach3']['a']:.2f}")
    fitted = pts["approach3"].to_numpy(bool) if "approach3" in pts else np.ones(len(pts), bool)
    ax.scatter(C_pts[fitted], pts["N"][fitted], c="k", s=14, label="runs fitted")
    if not fitted.all():
        ax.scatter(C_pts[~fitted], pts["N"][~fitted], facecolors="none", edgecolors="k", s=14,
                   label=f"runs left out (< {fit.get('approach3_min_steps')} steps)")
    loglog(ax)
    ax.set(xlabel="training FLOPs C", ylabel="parameters N", xlim=(C[0], C[-1]), ylim=(N[0], N[-1]),
           title=f"Approach 3: E={law.E:.2f}, A={law.A:.3g}, B={law.B:.3g}, "
                 f"α={law.alpha:.2f}, β={law.beta:.2f}")
    ax.title.set_fontsize(10)
    legend_below(ax, ncols=2, fontsize=8)
    return fig


def chinchilla_public_refit(N, D, L, fit: dict, bootstrap: pd.DataFrame, level: float = 0.8):
    """The public points: refit and Hoffmann's law against the data, residuals, and the
    compute-optimal D/N against compute with the refit's bootstrap band."""
    fig, axes = new_figure(3, 1, width=4.5, height=3.8)
    ax_fit, ax_res, ax_ratio = axes[0]  # three panels side by side: legends below them
    refit = _law(ChinchillaFit, fit["law"])
    C = 6 * np.asarray(N) * np.asarray(D)
    laws = (("refit (this pipeline)", refit, PALETTE[0]),
            ("Hoffmann et al. 2022", HOFFMANN_2022, PALETTE[1]))
    lo, hi = min(L) * 0.97, max(L) * 1.03
    for name, law, color in laws:
        ax_fit.plot(chinchilla_loss(N, D, law), L, "o", ms=3, color=color, alpha=0.7, label=name)
    ax_fit.plot([lo, hi], [lo, hi], "k--", lw=1, label="y = x")
    ax_fit.set(xlabel="predicted loss (nats/token)", ylabel="measured loss (nats/token)",
               title=f"{len(L)} points of Chinchilla Fig. 4", xlim=(lo, hi), ylim=(lo, hi))
    legend_below(ax_fit, fontsize=8)

    for name, law, color in laws:
        ax_res.plot(C, np.log(L) - np.log(chinchilla_loss(N, D, law)), "o", ms=3, color=color,
                    alpha=0.7, label=name)
    ax_res.axhline(0, color="k", lw=1)
    ax_res.set_xscale("log")
    ax_res.set(xlabel="training FLOPs C", ylabel="log(measured / predicted)", title="residuals")
    legend_below(ax_res, fontsize=8)

    Cg = np.geomspace(1e18, 1e26, 120)
    ratios = []
    for _, row in bootstrap.iterrows():
        law = ChinchillaLaw(E=row["E"], A=row["A"], B=row["B"], alpha=row["alpha"], beta=row["beta"])
        ratios.append(tokens_per_parameter(Cg, law))
    band = central_band(np.array(ratios), level)
    ax_ratio.fill_between(Cg, band[0], band[1], color=PALETTE[0], alpha=0.25,
                          label=f"refit, {level:.0%} bootstrap band")
    ax_ratio.plot(Cg, tokens_per_parameter(Cg, refit), color=PALETTE[0], label="refit")
    ax_ratio.plot(Cg, tokens_per_parameter(Cg, HOFFMANN_2022), color=PALETTE[1],
                  label="Hoffmann et al. 2022 (Approach 3)")
    ax_ratio.plot(Cg, tokens_per_parameter(Cg, BESIROGLU_2024), color=PALETTE[2], ls=":",
                  label="Besiroglu et al. 2024 (published refit)")
    ax_ratio.axhline(20, color="0.4", ls="--", lw=1, label="20 tokens per parameter")
    loglog(ax_ratio)
    ax_ratio.set(xlabel="training FLOPs C", ylabel="D_opt / N_opt (tokens per parameter)",
                 title="compute-optimal tokens per parameter")
    legend_below(ax_ratio, fontsize=8)
    return fig


# ---- Muennighoff et al. 2023 (data-constrained scaling)


def muennighoff_data_constrained(fit: dict, points: pd.DataFrame):
    """Muennighoff et al. 2023's Figs. 2-3 in miniature. Left: final loss against tokens seen for
    each unique-token budget U (markers: runs; lines: L(N, D') with the fitted R_D*, at each model
    size that repeats). Right: effective data D'/U against epochs, fitted R_D* (band: its bootstrap
    interval) and the published 15.4, with each repeated run's D' read off the single-epoch law."""
    from .data_constrained import effective_data

    law = _law(ChinchillaLaw, fit["law"])
    R, lo, hi = fit["R_D_star"], fit["lo"], fit["hi"]
    fig, axes = new_figure(2, 1, width=5.2, height=4.2)
    ax, ax2 = axes[0, 0], axes[0, 1]
    sizes = sorted(points.loc[points["repeats"].astype(bool), "N"].unique())
    points = points[points["N"].isin(sizes)]  # the single-epoch runs at other sizes pin only the law
    budgets = sorted(points["U"].unique())
    colors = dict(zip(budgets, sequential_colors(len(budgets), "viridis")))
    styles = dict(zip(sizes, ["-", "--", ":", "-."] * 4))
    for u in budgets:
        at = points[points["U"] == u]
        label = f"U = {u:.3g} unique tokens"
        ax.scatter(at["D"], at["L"], color=colors[u], s=22, zorder=3, label=label)
        for n in sizes:
            D = np.geomspace(points["D"].min() / 1.5, points["D"].max() * 1.5, 200)
            L = chinchilla_loss(n, effective_data(u, D, R), law)
            ax.plot(D, L, color=colors[u], ls=styles[n], lw=1.3)
    for n in sizes:
        ax.plot([], [], color="0.3", ls=styles[n], label=f"fitted law, N = {n:,.0f}")
    ax.set_xscale("log")
    ax.set(xlabel="tokens seen D", ylabel="final validation loss (nats/token)",
           title="loss against tokens seen")
    legend_below(ax, ncols=1, fontsize=8)

    epochs = np.geomspace(1, max(64.0, float(points["epochs"].max()) * 1.5), 200)
    fitted = effective_data(1.0, epochs, R)
    ax2.plot(epochs, epochs, color="0.6", ls=":", lw=1.2, label="repeated = new (D' = D)")
    ax2.plot(epochs, effective_data(1.0, epochs, fit["published_R_D_star"]), color=PALETTE[1], ls="--",
             label=f"published R_D* = {fit['published_R_D_star']:g} (Muennighoff et al. 2023)")
    if np.isfinite(lo) and np.isfinite(hi):
        ax2.fill_between(epochs, effective_data(1.0, epochs, lo), effective_data(1.0, epochs, hi),
                         color=PALETTE[0], alpha=0.2, lw=0,
                         label=f"{fit['level']:.0%} interval [{lo:.3g}, {hi:.3g}]")
    ax2.plot(epochs, fitted, color=PALETTE[0], lw=2, label=f"fitted R_D* = {R:.3g}")
    rep = points[points["repeats"].astype(bool)]
    # Each run's own D': the single-epoch law solved for D at the run's loss (where it can be).
    excess = rep["L"] - law.E - law.A / rep["N"] ** law.alpha
    D_obs = np.where(excess > 0, (law.B / excess.clip(lower=1e-12)) ** (1 / law.beta), np.nan)
    for u in sorted(rep["U"].unique()):
        at = (rep["U"] == u).to_numpy()
        ax2.scatter(rep["epochs"][at], D_obs[at] / u, color=colors[u], s=22, zorder=3)
    loglog(ax2)
    ax2.set(xlabel="epochs D / U", ylabel="effective data D' / U",
            title="value of repeated data")
    legend_below(ax2, ncols=1, fontsize=8)
    return fig
