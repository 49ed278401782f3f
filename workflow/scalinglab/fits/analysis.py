"""Whole analyses behind the fit rules: data in, (tables, figure data) out. No file I/O here
except through the caller; every table carries published values beside the fitted ones."""
from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pandas as pd

from .checks import FitInputError
from .chinchilla import (FLOPS_PER_PARAM_TOKEN, allocation_exponents, bootstrap_chinchilla_approach3,
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
from ..data.synthetic import WindowFloor
from ..verdicts.rules import interval_rule

REFERENCES = {"Hoffmann et al. 2022": HOFFMANN_2022, "Besiroglu et al. 2024": BESIROGLU_2024}


def fitted_compute_max(N, D) -> float:
    """The largest training compute C = 6 N D among the points a law was fitted on: the planner
    uses a fitted law only within a stated factor of it (predict.plan.max_extrapolation)."""
    N, D = np.asarray(N, dtype=float), np.asarray(D, dtype=float)
    return float(np.nanmax(FLOPS_PER_PARAM_TOKEN * N * D))


def public_refit(N, D, L, *, delta: float, n_boot: int, level: float, seed: int):
    """Approach 3 on the public points with bootstrap: (table, bootstrap samples, fit dict)."""
    boot = bootstrap_chinchilla_approach3(N, D, L, n_boot=n_boot, seed=seed, delta=delta)
    boot.level = level
    table = chinchilla_table("public points, Approach 3", boot, REFERENCES)
    table["fitted_C_max"] = fitted_compute_max(N, D)
    samples = pd.DataFrame(boot.samples)
    return table, samples, {"law": asdict(boot.fit), "n_points": int(np.size(N))}


# ---------------------------------------------------------------- fitted E against the floor

def irreducible_table(fit: str, E: float, lo: float, hi: float, level: float, floor: WindowFloor,
                      tolerance: float, max_relative_width: float) -> pd.DataFrame:
    """Fitted E beside the floor the trainer can reach, judged by `verdicts.rules.interval_rule`:
    not identifiable when E's interval is wider than max_relative_width x the floor (e.g. an
    interval from 0 to above the floor), reproduced when [lo - tolerance, hi + tolerance] holds
    the floor, not reproduced otherwise. tolerance in nats."""
    ref = floor.value
    j = interval_rule(E, lo, hi, ref, max_relative_width=max_relative_width,
                      tolerance=tolerance / ref)
    return pd.DataFrame([dict(
        fit=fit, E_fitted=E, lo=lo, hi=hi, level=level, floor_nats=ref, floor_lo=floor.lo,
        floor_hi=floor.hi, floor_exact=floor.exact, block_size=floor.block_size,
        entropy_rate_nats=floor.phase_known, difference=E - ref, relative=(E - ref) / ref,
        interval_width=hi - lo, interval_covers_floor=bool(lo <= ref <= hi), tolerance=tolerance,
        verdict=j.verdict, detail=j.detail)])


# ---------------------------------------------------------------- Chinchilla on our own runs

def chinchilla_runs(final: pd.DataFrame, curves: list[LearningCurve], *, entropy: float | None,
                    delta: float, n_boot: int, level: float, seed: int, n_grid: int,
                    tolerance: float, floor: WindowFloor | None = None,
                    max_relative_width: float = 1.0, approach3_min_steps: int = 0):
    """Approaches 1-3 on the pipeline's runs.

    entropy: the corpus's entropy rate (figures); floor: the lowest loss the trainer can reach
    (`window_entropy_floor`), against which fitted E is judged (`irreducible_table`).

    final: one row per run with N, D, C (budget or None), L (final loss), run, model, and
    optionally steps (optimizer steps). curves: learning curves for Approach 1.
    approach3_min_steps: Approach 3 fits only runs with at least this many optimizer steps
    (`approach3_runs`); Approaches 1-2 use every run. Returns (tables dict, figure data dict).
    """
    tables, data = {}, {}
    iso = final[np.isfinite(final["C"])]
    fitted, excluded = approach3_runs(final, approach3_min_steps)
    # A runs table may hold final losses only (no curves: no Approach 1) or no budgets (no
    # Approach 2); scalinglab.fits.runs_table says which, the pipeline's runs always have both.
    a1 = (fit_chinchilla_approach1(curves, n_grid=n_grid, n_boot=n_boot, seed=seed, level=level)
          if curves else None)
    a2 = (fit_chinchilla_approach2(iso["C"], iso["N"], iso["L"], n_boot=n_boot, seed=seed,
                                   level=level) if not iso.empty else None)
    boot = bootstrap_chinchilla_approach3(fitted["N"], fitted["D"], fitted["L"], n_boot=n_boot,
                                          seed=seed, delta=delta)
    boot.level = level
    tables["approach3"] = chinchilla_table("own runs, Approach 3", boot, REFERENCES)
    tables["approach3"]["fitted_C_max"] = fitted_compute_max(fitted["N"], fitted["D"])
    tables["approach3"]["runs_fitted"] = len(fitted)
    tables["approach3"]["runs_excluded"] = (
        f"{len(excluded)} with < {approach3_min_steps} optimizer steps (step-limited): "
        + ", ".join(excluded["run"]) if len(excluded) else "")

    a3, b3 = allocation_exponents(boot.fit)
    rows = []
    for name, fit in (("Approach 1", a1), ("Approach 2", a2)):
        if fit is None:
            continue
        a, b = fit.N_law.exponent, fit.D_law.exponent
        rows.append(exponent_table(f"own runs, {name}",
                                   {"a": (a, *fit.interval("a")), "b": (b, *fit.interval("b"))},
                                   level, {"Hoffmann et al. 2022": HOFFMANN_2022_EXPONENTS[name]}))
    rows.append(exponent_table("own runs, Approach 3",
                               {"a": (a3, *boot.interval("a")), "b": (b3, *boot.interval("b"))},
                               level, {"Hoffmann et al. 2022": HOFFMANN_2022_EXPONENTS["Approach 3"]}))
    tables["allocation"] = pd.concat(rows, ignore_index=True)
    tables["allocation"]["note"] = ""
    if len(excluded):
        tables["allocation"].loc[tables["allocation"]["fit"] == "own runs, Approach 3", "note"] = (
            f"fitted on {len(fitted)} of {len(final)} runs: {len(excluded)} with fewer than "
            f"{approach3_min_steps} optimizer steps left out (step-limited)")
    outside = [] if a2 is None else [p for p in a2.profiles if not p.reliable]
    if outside:
        # Approach 2 is only as good as the bracketing of each minimum: say so beside a and b.
        tables["allocation"].loc[tables["allocation"]["fit"] == "own runs, Approach 2", "note"] = (
            f"{len(outside)} of {len(a2.profiles)} IsoFLOP minima not bracketed by the sampled "
            f"model sizes (best run at the ladder's end or vertex extrapolated); widen the ladder")
    tables["isoflop"] = (isoflop_profile_table(a2, iso) if a2 is not None
                         else pd.DataFrame([dict(skipped="no runs grouped on nominal FLOP budgets")]))

    if floor is not None:
        lo, hi = boot.interval("E")
        tables["irreducible"] = irreducible_table("own runs, Approach 3", boot.fit.E, lo, hi, level,
                                                  floor, tolerance, max_relative_width)

    data["approach1"] = data["approach2"] = None
    if a1 is not None:
        env = a1.envelope
        keep = np.unique(np.linspace(0, env.C.size - 1, 200).astype(int))
        data["approach1"] = dict(C=env.C[keep].tolist(), loss=env.loss[keep].tolist(),
                                 N_opt=env.N_opt[keep].tolist(), D_opt=env.D_opt[keep].tolist(),
                                 N_law=asdict(a1.N_law), D_law=asdict(a1.D_law))
    if a2 is not None:
        data["approach2"] = dict(profiles=[{**asdict(p), "reliable": p.reliable} for p in a2.profiles],
                                 skipped=a2.skipped,
                                 N_law=asdict(a2.N_law), D_law=asdict(a2.D_law))
    data["approach3"] = dict(law=asdict(boot.fit), a=a3, b=b3)
    data["points"] = final[["run", "model", "N", "D", "C", "L"]].to_dict(orient="list")
    data["points"]["approach3"] = final["run"].isin(fitted["run"]).tolist()
    data["approach3_min_steps"] = int(approach3_min_steps)
    data["entropy_per_token_nats"] = entropy
    data["floor_nats"] = None if floor is None else floor.value
    return tables, data


def approach3_runs(final: pd.DataFrame, min_steps: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fitted, excluded): the runs Approach 3 fits, and those it leaves out for having fewer than
    `min_steps` optimizer steps. Approach 3's law L(N, D) assumes the loss is set by N and D; a run
    with too few updates is limited by its steps (doubling its steps on the same tokens, with half
    the batch, lowers its loss), so its loss measures the optimiser, not N and D. Runs without a
    step count (a runs table) are all kept; 0 keeps every run."""
    if min_steps < 0 or int(min_steps) != min_steps:
        raise FitInputError(f"approach3_min_steps={min_steps!r} must be an integer >= 0; "
                            f"0 keeps every run")
    if not min_steps or "steps" not in final:
        return final, final.iloc[:0]
    keep = final["steps"].to_numpy(float) >= min_steps
    if keep.sum() < 5:
        raise FitInputError(f"Approach 3: only {int(keep.sum())} of {len(final)} runs have >= "
                            f"{min_steps} optimizer steps (fits.approach3_min_steps); it needs 5; "
                            f"lower the threshold or train longer runs")
    return final[keep], final[~keep]


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


def _reducible_power_row(fit_name, x, L, E, level, published, law_kind, what):
    """L - E = (x_c / x)^alpha with E known: a log-log line with a Student-t interval on alpha
    (n - 2 degrees of freedom; a bootstrap of 3-5 points degenerates). None if L - E <= 0."""
    law = fit_power_law(x, L, E=E, what=what)
    try:
        t = fit_proportional(x, L - E, what, level=level)
        lo, hi = -t.exponent_hi, -t.exponent_lo
    except FitInputError:  # fewer than 3 points: no interval
        lo = hi = math.nan
    return law, exponent_table(fit_name, {"alpha": (law.alpha, lo, hi), "x_c": (law.x_c, math.nan, math.nan)},
                               level, {"Kaplan et al. 2020": published}, law=law_kind)


def _envelope_power_laws(curves: list[LearningCurve], n_grid: int, E: float | None):
    """The compute envelope of the learning curves (60 log-spaced points of it) and, through it,
    L(C_min) = (C_c/C)^alpha_C (C in PF-days), L(C_min) - E (E known) and N_opt = k C^x."""
    env = loss_envelope(curves, n_grid)
    pick = np.unique(np.geomspace(1, env.C.size, 60).astype(int) - 1)
    C, L = env.C[pick], env.loss[pick]
    laws = {"pure": fit_power_law(C / PF_DAY_FLOPS, L, what="Kaplan L(C_min)")}
    if E is not None:
        laws["reducible"] = fit_power_law(C / PF_DAY_FLOPS, L, E=E, what="Kaplan L(C_min) - E")
    if np.unique(env.N_opt).size >= 2:
        laws["frontier"] = fit_compute_frontier(env.C, env.N_opt)
    return env, pick, laws


def _envelope_bootstrap(curves, n_grid, E, n_boot, seed) -> dict[str, list]:
    """Refits of the envelope laws on runs resampled with replacement (as Approach 1's interval):
    the envelope's points are interpolated from a few curves and strongly correlated, so a
    t-interval over them would be far too narrow. Resamples with fewer than 2 distinct runs
    have no envelope (no comparison between sizes) and are skipped."""
    rng = np.random.default_rng(seed)
    out = {"pure": [], "reducible": [], "frontier": []}
    for _ in range(n_boot):
        idx = rng.integers(0, len(curves), len(curves))
        if np.unique(idx).size < 2:
            continue
        try:
            _, _, laws = _envelope_power_laws([curves[i] for i in idx], n_grid, E)
        except FitInputError:
            continue
        for k, law in laws.items():
            out[k].append(law)
    return out


def kaplan_runs(final: pd.DataFrame, curves_df: pd.DataFrame, *, entropy: float | None,
                n_boot: int, level: float, seed: int, tolerance: float, n_grid: int,
                floor: WindowFloor | None = None, max_relative_width: float = 1.0):
    """Kaplan's laws on the pipeline's runs.

    final: one row per run with N, D (min of subset tokens and tokens trained), fraction,
    L_final, L_best, model. curves_df: metrics rows with N, step, flops, tokens, loss, fraction.
    With a known floor (`floor`, the lowest loss the trainer can reach on a synthetic corpus)
    the laws are fitted to the reducible loss L - E_floor as well ("... - E_floor" rows): the
    quantization model predicts the exponents of L - E, not of L. Returns (tables dict, figure
    data dict).
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

    # The same on the reducible loss L - E_floor (E known: 2 parameters, t intervals).
    E0 = None if floor is None else float(floor.value)
    reducible, reducible_skipped = {}, None
    if E0 is not None:
        try:
            reducible["N"], row_N = _reducible_power_row(
                "L(N) - E_floor", N, LN, E0, level, {"alpha": KAPLAN_2020["alpha_N"]},
                "kaplan L(N) - E", "Kaplan L(N) - E_floor")
            reducible["D"], row_D = _reducible_power_row(
                "L(D) - E_floor", D, LD, E0, level, {"alpha": KAPLAN_2020["alpha_D"]},
                "kaplan L(D) - E", "Kaplan L(D) - E_floor")
            rows += [row_N, row_D]
        except FitInputError as err:
            reducible, reducible_skipped = {}, str(err)

    # L(C_min) and the compute-efficient frontier from the envelope of the most-data runs.
    full_curves = curves_df[curves_df["fraction"] == final["fraction"].max()]
    if full_curves.empty:
        # Final losses only (a runs table without learning curves): L(N), L(D), L(N, D).
        return _kaplan_final_only(final, rows, N, LN, fits_N, D, LD, law_D, entropy, n_boot, level,
                                  seed, tolerance)
    curves = [LearningCurve(run=r, N=float(g["N"].iloc[0]), flops=g["flops"].to_numpy(float),
                            tokens=g["tokens"].to_numpy(float), loss=g["loss"].to_numpy(float))
              for r, g in full_curves.groupby("run")]
    E_C = E0 if reducible else None
    env, pick, laws_C = _envelope_power_laws(curves, n_grid, E_C)
    boot_C = _envelope_bootstrap(curves, n_grid // 5, E_C, n_boot, seed)
    law_C = laws_C["pure"]
    rows.append(_law_rows("L(C_min), pure", law_C, boot_C["pure"], ("alpha", "x_c"), level,
                          {"alpha": KAPLAN_2020["alpha_C"], "x_c": KAPLAN_2020["C_c_pf_days"]},
                          "kaplan L(C_min) [PF-days]"))
    if "reducible" in laws_C:
        reducible["C_pf_days"] = laws_C["reducible"]
        rows.append(_law_rows("L(C_min) - E_floor", laws_C["reducible"], boot_C["reducible"],
                              ("alpha", "x_c"), level, {"alpha": KAPLAN_2020["alpha_C"]},
                              "kaplan L(C_min) - E [PF-days]"))
    frontier = laws_C.get("frontier")
    if frontier is not None:
        rows.append(_law_rows("N_opt = k C^x", frontier, boot_C["frontier"], ("exponent",), level,
                              {"exponent": KAPLAN_2020_FRONTIER["exponent"]}, "kaplan frontier"))

    # L(N, D): every run's early-stopped loss at its data size (Eq. 1.5).
    Nj, Dj, Lj = (final[c].to_numpy(float) for c in ("N", "D", "L_best"))
    joint = fit_kaplan_joint(Nj, Dj, Lj)
    samples = _boot_rows(fit_kaplan_joint, (Nj, Dj, Lj), n_boot, seed)
    rows.append(_law_rows("L(N, D)", joint, samples, ("alpha_N", "alpha_D", "N_c", "D_c"), level,
                          KAPLAN_2020_TABLE2, "kaplan L(N, D)"))
    # ... and on L - E_floor: the exponents the corpus's theory is about, with N and D varying
    # together, so the data-limited flattening of L(N) at fixed D is the D term, not alpha_N.
    joint_E = None
    if reducible:
        try:
            joint_E = fit_kaplan_joint(Nj, Dj, Lj, E=E0)
            samples = _boot_rows(lambda n, d, l: fit_kaplan_joint(n, d, l, E=E0), (Nj, Dj, Lj),
                                 n_boot, seed)
            rows.append(_law_rows("L(N, D) - E_floor", joint_E, samples,
                                  ("alpha_N", "alpha_D", "N_c", "D_c"), level, KAPLAN_2020_TABLE2,
                                  "kaplan L(N, D) - E"))
        except FitInputError as err:
            joint_E, reducible_skipped = None, str(err)

    # L(N, S): learning curves of the most-data runs past the first tenth of training (Eq. 1.6).
    lc = full_curves[full_curves["step"] > 0.1 * full_curves.groupby("run")["step"].transform("max")]
    Ns, Ss, Ls = (lc[c].to_numpy(float) for c in ("N", "step", "loss"))
    lcl = fit_learning_curves(Ns, Ss, Ls)
    samples = _boot_rows(fit_learning_curves, (Ns, Ss, Ls), min(n_boot, 50), seed)
    rows.append(_law_rows("L(N, S)", lcl, samples, ("alpha_N", "alpha_S", "N_c", "S_c"), level,
                          KAPLAN_2020_LEARNING_CURVES, "kaplan L(N, S)"))
    tables["kaplan"] = pd.concat(rows, ignore_index=True)
    tables["kaplan"]["fitted_C_max"] = fitted_compute_max(Nj, Dj)

    if floor is not None and "with E" in fits_N:
        law = fits_N["with E"]
        e_row = tables["kaplan"].query("fit == 'L(N), with E' and parameter == 'E'").iloc[0]
        tables["irreducible"] = irreducible_table("own runs, Kaplan L(N) with E", law.E, e_row["lo"],
                                                  e_row["hi"], level, floor, tolerance,
                                                  max_relative_width)

    data.update(
        L_N=dict(N=N.tolist(), L=LN.tolist(), laws={k: asdict(v) for k, v in fits_N.items()}),
        L_D=dict(D=D.tolist(), L=LD.tolist(), law=asdict(law_D)),
        L_C=dict(C=env.C[pick].tolist(), L=env.loss[pick].tolist(), law_pf_days=asdict(law_C),
                 N_opt=env.N_opt[pick].tolist()),
        frontier=None if frontier is None else asdict(frontier),
        joint=dict(law=asdict(joint), N=Nj.tolist(), D=Dj.tolist(), L=Lj.tolist(),
                   fraction=final["fraction"].tolist()),
        # Fits of L - E_floor (E_floor known): L(N), L(D), L(C_min) [PF-days] and L(N, D).
        reducible=dict(E=E0, laws={k: asdict(v) for k, v in reducible.items()},
                       joint=None if joint_E is None else asdict(joint_E),
                       skipped=reducible_skipped) if E0 is not None else None,
        learning_curves=dict(law=asdict(lcl)),
        entropy_per_token_nats=entropy,
        floor_nats=None if floor is None else floor.value,
    )
    return tables, data


def _kaplan_final_only(final, rows, N, LN, fits_N, D, LD, law_D, entropy, n_boot, level, seed,
                       tolerance):
    Nj, Dj, Lj = (final[c].to_numpy(float) for c in ("N", "D", "L_best"))
    joint = fit_kaplan_joint(Nj, Dj, Lj)
    samples = _boot_rows(fit_kaplan_joint, (Nj, Dj, Lj), n_boot, seed)
    rows.append(_law_rows("L(N, D)", joint, samples, ("alpha_N", "alpha_D", "N_c", "D_c"), level,
                          KAPLAN_2020_TABLE2, "kaplan L(N, D)"))
    tables = {"kaplan": pd.concat(rows, ignore_index=True)}
    data = dict(L_N=dict(N=N.tolist(), L=LN.tolist(), laws={k: asdict(v) for k, v in fits_N.items()}),
                L_D=dict(D=D.tolist(), L=LD.tolist(), law=asdict(law_D)), L_C=None, frontier=None,
                joint=dict(law=asdict(joint), N=Nj.tolist(), D=Dj.tolist(), L=Lj.tolist(),
                           fraction=final["fraction"].tolist()),
                learning_curves=None, entropy_per_token_nats=entropy)
    return tables, data
