"""Whole analyses behind the fit rules: data in, (tables, figure data) out. No file I/O here
except through the caller; every table carries published values beside the fitted ones."""
from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pandas as pd

from .checks import FitInputError
from .chinchilla import (allocation_exponents, bootstrap_chinchilla_approach3,
                         compute_optimal_allocation)
from .envelope import LearningCurve, fit_chinchilla_approach1, loss_envelope
from .isoflop import fit_chinchilla_approach2
from .kaplan import (fit_compute_frontier, fit_kaplan_joint, fit_learning_curves, fit_power_law,
                     fit_proportional)
from .published import (BESIROGLU_2024, HOFFMANN_2022, HOFFMANN_2022_EXPONENTS, KAPLAN_2020,
                        KAPLAN_2020_FRONTIER, KAPLAN_2020_LEARNING_CURVES, KAPLAN_2020_TABLE2,
                        PF_DAY_FLOPS)
from ..intervals import central_interval
from .tables import chinchilla_table, exponent_table

REFERENCES = {"Hoffmann et al. 2022": HOFFMANN_2022, "Besiroglu et al. 2024": BESIROGLU_2024}


def public_refit(N, D, L, *, delta: float, n_boot: int, level: float, seed: int):
    """Approach 3 on the public points with bootstrap: (table, bootstrap samples, fit dict)."""
    boot = bootstrap_chinchilla_approach3(N, D, L, n_boot=n_boot, seed=seed, delta=delta)
    boot.level = level
    table = chinchilla_table("public points, Approach 3", boot, REFERENCES)
    samples = pd.DataFrame(boot.samples)
    return table, samples, {"law": asdict(boot.fit), "n_points": int(np.size(N))}


# ---------------------------------------------------------------- Chinchilla on our own runs

def chinchilla_runs(final: pd.DataFrame, curves: list[LearningCurve], *, entropy: float | None,
                    delta: float, n_boot: int, level: float, seed: int, n_grid: int,
                    tolerance: float):
    """Approaches 1-3 on the pipeline's runs.

    final: one row per run with N, D, C (budget or None), L (final loss), run, model.
    curves: learning curves for Approach 1. Returns (tables dict, figure data dict).
    """
    tables, data = {}, {}
    iso = final[np.isfinite(final["C"])]
    a1 = fit_chinchilla_approach1(curves, n_grid=n_grid, n_boot=n_boot, seed=seed, level=level)
    a2 = fit_chinchilla_approach2(iso["C"], iso["N"], iso["L"], n_boot=n_boot, seed=seed,
                                  level=level)
    boot = bootstrap_chinchilla_approach3(final["N"], final["D"], final["L"], n_boot=n_boot,
                                          seed=seed, delta=delta)
    boot.level = level
    tables["approach3"] = chinchilla_table("own runs, Approach 3", boot, REFERENCES)

    a3, b3 = allocation_exponents(boot.fit)
    rows = []
    for name, fit, (a, b) in (("Approach 1", a1, (a1.N_law.exponent, a1.D_law.exponent)),
                              ("Approach 2", a2, (a2.N_law.exponent, a2.D_law.exponent))):
        rows.append(exponent_table(f"own runs, {name}",
                                   {"a": (a, *fit.interval("a")), "b": (b, *fit.interval("b"))},
                                   level, {"Hoffmann et al. 2022": HOFFMANN_2022_EXPONENTS[name]}))
    rows.append(exponent_table("own runs, Approach 3",
                               {"a": (a3, *boot.interval("a")), "b": (b3, *boot.interval("b"))},
                               level, {"Hoffmann et al. 2022": HOFFMANN_2022_EXPONENTS["Approach 3"]}))
    tables["allocation"] = pd.concat(rows, ignore_index=True)
    tables["allocation"]["note"] = ""
    outside = [p for p in a2.profiles if not p.reliable]
    if outside:
        # Approach 2 is only as good as the bracketing of each minimum: say so beside a and b.
        tables["allocation"].loc[tables["allocation"]["fit"] == "own runs, Approach 2", "note"] = (
            f"{len(outside)} of {len(a2.profiles)} IsoFLOP minima not bracketed by the sampled "
            f"model sizes (best run at the ladder's end or vertex extrapolated); widen the ladder")
    tables["isoflop"] = isoflop_profile_table(a2, iso)

    if entropy is not None:
        lo, hi = boot.interval("E")
        diff = boot.fit.E - entropy
        tables["irreducible"] = pd.DataFrame([dict(
            fit="own runs, Approach 3", E_fitted=boot.fit.E, lo=lo, hi=hi, level=level,
            entropy_per_token_nats=entropy, difference=diff, relative=diff / entropy,
            interval_covers_entropy=bool(lo <= entropy <= hi),
            within_tolerance=bool(abs(diff) <= tolerance), tolerance=tolerance)])

    env = a1.envelope
    keep = np.unique(np.linspace(0, env.C.size - 1, 200).astype(int))
    data["approach1"] = dict(C=env.C[keep].tolist(), loss=env.loss[keep].tolist(),
                             N_opt=env.N_opt[keep].tolist(), D_opt=env.D_opt[keep].tolist(),
                             N_law=asdict(a1.N_law), D_law=asdict(a1.D_law))
    data["approach2"] = dict(profiles=[{**asdict(p), "reliable": p.reliable} for p in a2.profiles],
                             skipped=a2.skipped,
                             N_law=asdict(a2.N_law), D_law=asdict(a2.D_law))
    data["approach3"] = dict(law=asdict(boot.fit), a=a3, b=b3)
    data["points"] = final[["run", "model", "N", "D", "C", "L"]].to_dict(orient="list")
    data["entropy_per_token_nats"] = entropy
    return tables, data


def isoflop_profile_table(a2, iso: pd.DataFrame) -> pd.DataFrame:
    """One row per IsoFLOP budget: the sampled size range, the parabola's vertex and whether the
    vertex lies inside that range; budgets Approach 2 had to skip are listed with the reason."""
    rows = []
    for p in a2.profiles:
        g = iso[iso["C"] == p.C]
        best = g.loc[g["L"].idxmin()]
        rows.append(dict(C=p.C, n_models=p.n_models, N_min=g["N"].min(), N_max=g["N"].max(),
                         N_opt=p.N_opt, D_opt=p.D_opt, tokens_per_param=p.D_opt / p.N_opt,
                         loss_opt=p.loss_opt, best_run=best["run"], best_loss=best["L"],
                         curvature=p.coeffs[2], vertex_inside=p.vertex_inside,
                         bracketed=p.bracketed, skipped=""))
    for reason in a2.skipped:
        rows.append(dict(skipped=reason))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- Kaplan on our own runs

def _boot_rows(fit_fn, arrays, n_boot, seed):
    """Refit on resampled points; returns a list of fitted objects (failures skipped)."""
    rng = np.random.default_rng(seed)
    n = arrays[0].size
    out = []
    for _ in range(n_boot):
        pick = rng.integers(0, n, n)
        try:
            out.append(fit_fn(*(a[pick] for a in arrays)))
        except (FitInputError, ValueError, np.linalg.LinAlgError):
            continue
    return out


def _law_rows(fit_name, law, samples, names, level, published, law_kind):
    rows = {}
    for p in names:
        vals = np.array([getattr(s, p) for s in samples]) if samples else np.array([])
        lo, hi = central_interval(vals, level)
        rows[p] = (getattr(law, p), lo, hi)
    return exponent_table(fit_name, rows, level, {"Kaplan et al. 2020": published}, law=law_kind)


def kaplan_runs(final: pd.DataFrame, curves_df: pd.DataFrame, *, entropy: float | None,
                n_boot: int, level: float, seed: int, tolerance: float, n_grid: int):
    """Kaplan's laws on the pipeline's runs.

    final: one row per run with N, D (min of subset tokens and tokens trained), fraction,
    L_final, L_best, model. curves_df: metrics rows with N, step, flops, tokens, loss, fraction.
    Returns (tables dict, figure data dict).
    """
    full = final[final["fraction"] == final["fraction"].max()].sort_values("N")
    largest = final[final["N"] == final["N"].max()].sort_values("D")
    tables, data = {}, {}
    rows = []

    # L(N): the most-data runs' final loss (Eq. 1.1), with and without an irreducible term.
    N, LN = full["N"].to_numpy(float), full["L_final"].to_numpy(float)
    fits_N = {"pure": fit_power_law(N, LN, what="Kaplan L(N)")}
    if N.size > 3:
        fits_N["with E"] = fit_power_law(N, LN, irreducible=True, what="Kaplan L(N) with E")
    for variant, law in fits_N.items():
        samples = _boot_rows(lambda x, y, v=variant: fit_power_law(x, y, irreducible=v != "pure"),
                             (N, LN), n_boot, seed)
        rows.append(_law_rows(f"L(N), {variant}", law, samples, ("alpha", "x_c", "E"), level,
                              {"alpha": KAPLAN_2020["alpha_N"], "x_c": KAPLAN_2020["N_c"]},
                              "kaplan L(N)"))

    # L(D): the largest model's early-stopped (best) loss at each data size (Eq. 1.2).
    D, LD = largest["D"].to_numpy(float), largest["L_best"].to_numpy(float)
    law_D = fit_power_law(D, LD, what="Kaplan L(D)")
    samples = _boot_rows(lambda x, y: fit_power_law(x, y), (D, LD), n_boot, seed)
    rows.append(_law_rows("L(D), pure", law_D, samples, ("alpha", "x_c"), level,
                          {"alpha": KAPLAN_2020["alpha_D"], "x_c": KAPLAN_2020["D_c"]},
                          "kaplan L(D)"))

    # L(C_min) and the compute-efficient frontier from the envelope of the most-data runs.
    full_curves = curves_df[curves_df["fraction"] == final["fraction"].max()]
    curves = [LearningCurve(run=r, N=float(g["N"].iloc[0]), flops=g["flops"].to_numpy(float),
                            tokens=g["tokens"].to_numpy(float), loss=g["loss"].to_numpy(float))
              for r, g in full_curves.groupby("run")]
    env = loss_envelope(curves, n_grid)
    pick = np.unique(np.geomspace(1, env.C.size, 60).astype(int) - 1)
    Cpf = env.C[pick] / PF_DAY_FLOPS
    law_C = fit_power_law(Cpf, env.loss[pick], what="Kaplan L(C_min)")
    rows.append(_law_rows("L(C_min), pure", law_C, [], ("alpha", "x_c"), level,
                          {"alpha": KAPLAN_2020["alpha_C"], "x_c": KAPLAN_2020["C_c_pf_days"]},
                          "kaplan L(C_min) [PF-days]"))
    frontier = None
    if np.unique(env.N_opt).size >= 2:
        frontier = fit_compute_frontier(env.C, env.N_opt)
        rows.append(_law_rows("N_opt = k C^x", frontier, [], ("exponent",), level,
                              {"exponent": KAPLAN_2020_FRONTIER["exponent"]}, "kaplan frontier"))

    # L(N, D): every run's early-stopped loss at its data size (Eq. 1.5).
    Nj, Dj, Lj = (final[c].to_numpy(float) for c in ("N", "D", "L_best"))
    joint = fit_kaplan_joint(Nj, Dj, Lj)
    samples = _boot_rows(fit_kaplan_joint, (Nj, Dj, Lj), n_boot, seed)
    rows.append(_law_rows("L(N, D)", joint, samples, ("alpha_N", "alpha_D", "N_c", "D_c"), level,
                          KAPLAN_2020_TABLE2, "kaplan L(N, D)"))

    # L(N, S): learning curves of the most-data runs past the first tenth of training (Eq. 1.6).
    lc = full_curves[full_curves["step"] > 0.1 * full_curves.groupby("run")["step"].transform("max")]
    Ns, Ss, Ls = (lc[c].to_numpy(float) for c in ("N", "step", "loss"))
    lcl = fit_learning_curves(Ns, Ss, Ls)
    samples = _boot_rows(fit_learning_curves, (Ns, Ss, Ls), min(n_boot, 50), seed)
    rows.append(_law_rows("L(N, S)", lcl, samples, ("alpha_N", "alpha_S", "N_c", "S_c"), level,
                          KAPLAN_2020_LEARNING_CURVES, "kaplan L(N, S)"))
    tables["kaplan"] = pd.concat(rows, ignore_index=True)

    if entropy is not None and "with E" in fits_N:
        law = fits_N["with E"]
        e_row = tables["kaplan"].query("fit == 'L(N), with E' and parameter == 'E'").iloc[0]
        diff = law.E - entropy
        tables["irreducible"] = pd.DataFrame([dict(
            fit="own runs, Kaplan L(N) with E", E_fitted=law.E, lo=e_row["lo"], hi=e_row["hi"],
            level=level, entropy_per_token_nats=entropy, difference=diff,
            relative=diff / entropy, interval_covers_entropy=bool(e_row["lo"] <= entropy <= e_row["hi"]),
            within_tolerance=bool(abs(diff) <= tolerance), tolerance=tolerance)])

    data.update(
        L_N=dict(N=N.tolist(), L=LN.tolist(), laws={k: asdict(v) for k, v in fits_N.items()}),
        L_D=dict(D=D.tolist(), L=LD.tolist(), law=asdict(law_D)),
        L_C=dict(C=env.C[pick].tolist(), L=env.loss[pick].tolist(), law_pf_days=asdict(law_C),
                 N_opt=env.N_opt[pick].tolist()),
        frontier=None if frontier is None else asdict(frontier),
        joint=dict(law=asdict(joint), N=Nj.tolist(), D=Dj.tolist(), L=Lj.tolist(),
                   fraction=final["fraction"].tolist()),
        learning_curves=dict(law=asdict(lcl)),
        entropy_per_token_nats=entropy,
    )
    return tables, data
