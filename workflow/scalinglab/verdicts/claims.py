"""One function per claim: the analyses' own output files in, verdict rows out.

Every function reads only files the pipeline wrote (paths in, README "File formats" and the
rule files for their columns) and returns a list of `Verdict` rows; the numbers come from those
files, the verdicts from `rules`. A claim whose inputs exist but cannot be judged gets
"not identifiable" with the reason; a claim whose analysis is not configured is left out by
`collect` (with a logged reason), never faked.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..fits.published import BESIROGLU_2024, BESIROGLU_2024_E_PRECISE, KAPLAN_2020
from . import rules
from .table import NOT_IDENTIFIABLE, Verdict

NIU, KAPLAN, HOFFMANN, BESIROGLU, MICHAUD, MUENNIGHOFF = (
    "Niu et al. 2024", "Kaplan et al. 2020", "Hoffmann et al. 2022", "Besiroglu et al. 2024",
    "Michaud et al. 2023", "Muennighoff et al. 2023")
nan = math.nan


@dataclass(frozen=True)
class Settings:
    """The rule thresholds (config `verdicts:`) and the levels the analyses used."""

    max_relative_width: float = 1.0
    relative_tolerance: float = 0.0
    overfit_min_rise: float = 0.05
    min_evaluations: int = 4
    plateau: dict = field(default_factory=lambda: dict(window_fraction=0.01, min_plateau_fraction=0.04,
                                                       flat_tolerance=0.03, min_drop=0.1))
    floor_tolerance: float = 0.05
    niu_constant: float = 1.0
    niu_constant_tolerance: float = 0.1
    niu_max_log_patterns_per_dim: float = 0.1
    abrupt_max_ratio: float = 1.0
    abrupt_min_learned: int = 3
    extrapolation_max_error: float = 0.05
    min_coverage_points: int = 10
    coverage_confidence: float = 0.95
    irreducible_tolerance: float = 0.05  # fits.irreducible_tolerance, nats
    predict_level: float = 0.9  # predict.level: nominal coverage of the extrapolation intervals

    @classmethod
    def from_config(cls, verdicts: dict, *, irreducible_tolerance: float, predict_level: float):
        known = {k: v for k, v in verdicts.items() if k in cls.__dataclass_fields__}
        plateau = {**cls().plateau, **verdicts.get("plateau", {})}
        return cls(**{**known, "plateau": plateau}, irreducible_tolerance=irreducible_tolerance,
                   predict_level=predict_level)


def _row(j: rules.Judgement, **kw) -> Verdict:
    return Verdict(rule=j.rule, verdict=j.verdict, detail=j.detail, **kw)


def _interval(value, lo, hi, reference, s: Settings, tolerance: float | None = None):
    return rules.interval_rule(value, lo, hi, reference, max_relative_width=s.max_relative_width,
                               tolerance=s.relative_tolerance if tolerance is None else tolerance)


def _read_json(path):
    return json.loads(Path(path).read_text())


def corpus_alpha(val_json) -> float | None:
    """The Zipf exponent α of the synthetic corpus (val.json), None for real text."""
    alpha = _read_json(val_json).get("alpha")
    return None if alpha is None else float(alpha)


# ---------------------------------------------------------------- memory (Niu et al.)

def memory_overfitting(summaries: list, s: Settings) -> list[Verdict]:
    """Niu et al. Fig. 3: the smallest data fraction overfits (val loss rises), the full data does not."""
    runs = []
    for p in summaries:
        summ = _read_json(p)
        runs.append((float(summ["fraction"]), summ, pd.read_csv(Path(p).with_name("metrics.csv"))))
    runs.sort(key=lambda r: r[0])
    if len(runs) < 2:
        return []
    out = []
    for (fraction, summ, m), expect in ((runs[0], True), (runs[-1], False)):
        j = rules.overfitting_rule(m["val_loss"], m["train_loss"], min_rise=s.overfit_min_rise,
                                   min_evaluations=s.min_evaluations, expect_overfit=expect)
        val = m["val_loss"].to_numpy(float)
        rise = float(val[-1] - np.nanmin(val)) if np.isfinite(val).any() else nan
        pct = f"{100 * fraction:g}%"
        out.append(_row(j, claim_id=f"memory_{'overfits' if expect else 'no_overfit'}_f{fraction:g}",
                        section="memory", paper=NIU, figure="memory_fig3_data_fraction",
                        claim=(f"Trained on {pct} of the data, {summ['model']} overfits: its validation "
                               f"loss rises while the training loss falls." if expect else
                               f"Trained on {pct} of the data, {summ['model']} does not overfit."),
                        paper_value=("0.1% of OpenWebText: validation loss rises (Fig. 3)" if expect else
                                     "100% of OpenWebText: validation loss keeps falling (Fig. 3)"),
                        value=rise, lo=nan, hi=nan,
                        reference=f"rise of the validation loss above its minimum, threshold "
                                  f"{s.overfit_min_rise:g} nats",
                        reference_value=s.overfit_min_rise))
    return out


def memory_distances(summaries: list, s: Settings) -> list[Verdict]:
    """Niu et al. §6.1: nearest-memory distances sit at the unit-volume ball radius sqrt(n/(2πe))."""
    out = []
    for p in summaries:
        summ = _read_json(p)
        if not summ.get("available", True):
            continue  # an unreachable pretrained checkpoint: nothing measured
        q = summ["quantiles"]
        j = _interval(q["q50"], q["q25"], q["q75"], summ["radius_theoretical"], s)
        j = j._replace(detail=j.detail + _distance_context(summ),
                       rule=j.rule + "; value in the states' own units (as the paper: no rescaling), "
                                     "their scale and repeated contexts reported in the detail")
        out.append(_row(j, claim_id=f"memory_distance_radius_{summ['checkpoint']}", section="memory",
                        paper=NIU, figure="memory_fig2_distances",
                        claim=(f"Nearest-memory distances of {summ['label']} concentrate at the radius "
                               f"sqrt(n/(2 pi e)) of the unit-volume ball in n = {summ['n_embd']} dimensions."),
                        paper_value="GPT-2 hidden states: distances around sqrt(n/(2 pi e)) (Sec. 6.1)",
                        value=q["q50"], lo=q["q25"], hi=q["q75"],
                        reference=f"sqrt(n/(2 pi e)) at n = {summ['n_embd']}; value = median distance, "
                                  f"interval = interquartile range",
                        reference_value=summ["radius_theoretical"]))
    return out


def _distance_context(summ: dict) -> str:
    """Why the radius comparison does or does not hold for this checkpoint: the states' scale
    (sqrt(n/(2 pi e)) is a length, and the final LayerNorm's learned gain sets the states' one)
    and how many queries sit on a near-copy of a memory (a repeated local context), from the
    keys memory_distances writes; empty for a summary without them."""
    if "state_norm_mean" not in summ:
        return ""
    n = int(summ["n_embd"])
    text = (f"; states' mean norm {summ['state_norm_mean']:.3g} = {summ['state_rms_coordinate']:.3g} "
            f"x sqrt(n) (a LayerNorm without gain gives sqrt(n) = {math.sqrt(n):.3g}: the learned gain "
            f"sets the scale the radius is compared in; median in units of the gain "
            f"{summ['median_over_rms_coordinate']:.3g})")
    near = summ.get("fraction_near_copies")
    suffix = summ.get("shared_suffix")
    if near is not None and suffix is not None:
        text += (f"; {near:.0%} of queries are near-copies of a memory (closer than "
                 f"{summ['near_copy_threshold']:.3g} = 0.1 x the radius) and "
                 f"{suffix['fraction_at_least_1']:.0%} end in the same token(s) as their nearest memory "
                 f"(median {suffix['median']:g} shared): where a corpus repeats its contexts, a "
                 f"validation state can repeat a training state, and the radius argument, made for "
                 f"distinct well-separated memories, does not apply to those")
    return text


# ---------------------------------------------------------------- question formation

def question_formation(loss_csv, summary_json, data_json, s: Settings, train_txt=None
                       ) -> list[Verdict]:
    """Niu et al. §6.3: plateaus then drops; final loss against the entropy of the training lines
    as sampled (their Remark 2; `floors.sample_entropy_floor`, from `train_txt`; without it, the
    grammar's entropy rate in data.json) and against the ≈1-nat claim with its condition."""
    loss = pd.read_csv(loss_csv)["loss"].to_numpy(float)
    summ, meta = _read_json(summary_json), _read_json(data_json)
    n = loss.size
    pl = s.plateau
    window = max(5, int(round(pl["window_fraction"] * n)))
    j = rules.plateau_drop_rule(loss, window=window, flat_tolerance=pl["flat_tolerance"],
                                min_plateau=max(window + 1, int(round(pl["min_plateau_fraction"] * n))),
                                min_drop=pl["min_drop"])
    common = dict(section="question_formation", figure="question_formation_fig4")
    out = [_row(j, claim_id="question_formation_plateau_drop", paper=NIU,
                claim="The training loss of a vanilla Transformer on question formation plateaus, "
                      "then drops, stepwise.",
                paper_value="stepwise drops of the training loss (Sec. 6.3)",
                value=nan, lo=nan, hi=nan, reference="plateau-and-drop detection on the smoothed loss",
                reference_value=nan, **common)]
    tail = loss[-max(1, n // 100):]
    final = float(tail.mean())
    se = float(tail.std(ddof=1) / math.sqrt(tail.size)) if tail.size > 1 else nan
    lo, hi = final - 2 * se, final + 2 * se
    grammar = meta.get("entropy_per_token_nats")
    if train_txt is not None:
        from ..question_formation.floors import sample_entropy_floor
        from ..question_formation.mccoy import load_pairs

        floor = sample_entropy_floor(load_pairs(train_txt))
        ref_text = ("entropy of the training lines as sampled, per predicted token (true floor)"
                    + (f"; grammar entropy rate {grammar:.4g} (floor on unseen lines)"
                       if grammar is not None else ""))
    else:
        floor, ref_text = grammar, "grammar entropy rate of the training lines"
    j = rules.near_rule(final, floor, tolerance=s.floor_tolerance,
                        condition=(True, "" if floor is not None else
                                   f"the entropy of {meta.get('source')} data is unknown"))
    out.append(_row(j, claim_id="question_formation_final_vs_entropy", paper=NIU,
                    claim="An over-parameterised model's final training loss reaches the entropy of "
                          "the sequences it is scored on.",
                    paper_value="minimal cross-entropy = entropy of the training samples (Sec. 5, Remark 2)",
                    value=final, lo=lo, hi=hi, reference=ref_text,
                    reference_value=nan if floor is None else float(floor), **common))
    n_embd = int(summ["model"]["n_embd"])
    patterns = float(meta["splits"]["train"]["tokens"])
    ratio = math.log(patterns) / n_embd
    holds = ratio <= s.niu_max_log_patterns_per_dim
    j = rules.near_rule(final, s.niu_constant, tolerance=s.niu_constant_tolerance,
                        condition=(holds, f"ln d / n = ln {patterns:.3g} / {n_embd} = {ratio:.3g} "
                                          f"{'<=' if holds else '>'} {s.niu_max_log_patterns_per_dim:g}"))
    out.append(_row(j, claim_id="question_formation_final_vs_niu_constant", paper=NIU,
                    claim="Under Niu et al.'s conditions (severely over-parameterised, well-separated "
                          "patterns, ln d << n) the achievable loss is a constant near 1 nat.",
                    paper_value="approximately 1 nat (Sec. 5, App. C; Table 2 losses all exceed 1)",
                    value=final, lo=lo, hi=hi,
                    reference=f"Niu et al.'s claimed constant {s.niu_constant:g} nat, a claim with "
                              f"conditions, not a bound", reference_value=s.niu_constant, **common))
    return out


# ---------------------------------------------------------------- Kaplan

def kaplan_theory(alpha: float) -> dict[str, float]:
    """Quantization-model exponents on the Zipf-facts corpus (p_k ∝ k^-(α+1)), all of the
    reducible loss L - E: α_N = α, α_D = α/(α+1); with L - E = A N^-α_N + B D^-α_D and C = 6ND,
    minimising over N at fixed C gives L - E ∝ C^-α_C on the compute frontier with
    α_C = α_N α_D / (α_N + α_D) = α/(α+2) (0.2 at α = 0.5), and N_opt ∝ C^a,
    a = α_D/(α_N+α_D) = 1/(α+2)."""
    aN, aD = alpha, alpha / (alpha + 1)
    return dict(alpha_N=aN, alpha_D=aD, alpha_C=aN * aD / (aN + aD), a=aD / (aN + aD))


# Which fit each exponent is judged on. With the corpus's theory (synthetic corpus, floor
# known) the exponents are those of the reducible loss L - E_floor, what the quantization model
# predicts: alpha_N and alpha_D from Kaplan's Eq. 1.5 fitted to L - E_floor over every run (N and
# D vary together, so the data-limited flattening of L(N) at a fixed D is the D term, not a
# smaller alpha_N), alpha_C from the compute envelope's L(C_min) - E_floor. Without a theory
# (real text) Kaplan's own forms of L against WebText's values.
KAPLAN_REDUCIBLE_FITS = {"alpha_N": ("L(N, D) - E_floor", "alpha_N"),
                         "alpha_D": ("L(N, D) - E_floor", "alpha_D"),
                         "alpha_C": ("L(C_min) - E_floor", "alpha")}
KAPLAN_FORMS = {"alpha_N": (("L(N), with E", "alpha"), ("L(N), pure", "alpha")),
                "alpha_D": (("L(D), pure", "alpha"),),
                "alpha_C": (("L(C_min), pure", "alpha"),)}
# Also named in the detail (single-variable fits beside the judged one), when present.
KAPLAN_ALSO = {"alpha_N": (("L(N) - E_floor", "alpha"), ("L(N), with E", "alpha")),
               "alpha_D": (("L(D) - E_floor", "alpha"), ("L(D), pure", "alpha")),
               "alpha_C": (("L(C_min), pure", "alpha"),)}
_KAPLAN_REDUCIBLE_RULE = {
    "alpha_N": "alpha_N of L - E_floor: Kaplan Eq. 1.5 fitted to every run's early-stopped L - E_floor "
               "(E_floor = entropy of the trainer's windows), bootstrap over runs",
    "alpha_D": "alpha_D of L - E_floor: Kaplan Eq. 1.5 fitted to every run's early-stopped L - E_floor "
               "(E_floor = entropy of the trainer's windows), bootstrap over runs",
    "alpha_C": "alpha_C of L - E_floor: power law through the compute envelope of the full-data runs' "
               "L - E_floor (E_floor = entropy of the trainer's windows), bootstrap over runs"}


def _fit_row(t: pd.DataFrame, fit: str, parameter: str):
    r = t[(t["fit"] == fit) & (t["parameter"] == parameter)]
    return r.iloc[0] if len(r) else None


def kaplan_exponents(table_csv, alpha: float | None, s: Settings) -> list[Verdict]:
    """Kaplan Fig. 1: alpha_N, alpha_D, alpha_C against the corpus's theory (on L - E_floor, see
    KAPLAN_REDUCIBLE_FITS), or against WebText's values for real text (Kaplan's forms of L)."""
    t = pd.read_csv(table_csv)
    theory = kaplan_theory(alpha) if alpha is not None else None
    out = []
    for key, published in (("alpha_N", KAPLAN_2020["alpha_N"]), ("alpha_D", KAPLAN_2020["alpha_D"]),
                           ("alpha_C", KAPLAN_2020["alpha_C"])):
        if theory is not None:
            fit, parameter = KAPLAN_REDUCIBLE_FITS[key]
            r = _fit_row(t, fit, parameter)
            if r is None and not any(_fit_row(t, f, p) is not None for f, p in KAPLAN_FORMS[key]):
                continue  # this law was not fitted at all (e.g. no learning curves: no L(C_min))
            ref, ref_text = theory[key], (f"quantization model on this corpus (alpha = {alpha:g}), for "
                                          f"L - E: {key} = {theory[key]:.3g}; WebText {published} "
                                          f"(Kaplan et al., no E) as reference only")
            value, lo, hi = (nan, nan, nan) if r is None else (r["fitted"], r["lo"], r["hi"])
            j = _interval(value, lo, hi, ref, s)
            if r is None:
                j = j._replace(detail=f"no fit of {fit} (a loss at or below the floor, or no floor; "
                                      f"see the fits log)")
            j = j._replace(rule=f"{_KAPLAN_REDUCIBLE_RULE[key]}; {j.rule}")
            also = [(f, _fit_row(t, f, p)) for f, p in KAPLAN_ALSO[key]]
            also = "; ".join(f"{f}: {a['fitted']:.3g} [{a['lo']:.3g}, {a['hi']:.3g}]"
                             for f, a in also if a is not None)
            if also:
                j = j._replace(detail=f"{j.detail} (single-variable fits: {also})")
            claim = f"The reducible loss L - E falls as a power law with exponent {key} ({fit})."
        else:
            rows = [r for r in (_fit_row(t, f, p) for f, p in KAPLAN_FORMS[key]) if r is not None]
            if not rows:
                continue
            r, fit = rows[0], rows[0]["fit"]
            ref, ref_text = published, f"Kaplan et al. 2020 on WebText: {published} (real text)"
            value, lo, hi = r["fitted"], r["lo"], r["hi"]
            j = _interval(value, lo, hi, ref, s)
            claim = f"Loss falls as a power law with exponent {key} ({fit})."
        out.append(_row(j, claim_id=f"kaplan_{key}", section="kaplan", paper=KAPLAN,
                        figure="fits_kaplan_fig1_power_laws", claim=claim,
                        paper_value=f"{published} (WebText)", value=value, lo=lo, hi=hi,
                        reference=ref_text, reference_value=ref))
    return out


# ---------------------------------------------------------------- Chinchilla

def isoflop_bracketed(isoflop_csv, s: Settings) -> list[Verdict]:
    """Chinchilla Fig. 3: every IsoFLOP profile has its minimum inside the sampled model sizes.

    Bracketing per budget is the fits' own (scalinglab.fits.isoflop.IsoFlopProfile: the best run
    at an interior size and the parabola's vertex inside the sampled range); a skipped budget
    (parabola opening downwards) counts as not bracketed."""
    t = pd.read_csv(isoflop_csv, keep_default_na=False, na_values=[""])
    flags = {}
    for _, r in t.iterrows():
        if isinstance(r.get("skipped"), str) and r["skipped"]:
            flags[f"skipped ({r['skipped'][:60]})"] = False
            continue
        flags[f"C={float(r['C']):.3g}"] = _truthy(r["bracketed"]) and _truthy(r["vertex_inside"])
    j = rules.all_pass(flags, "IsoFLOP minimum bracketed (best run interior and parabola vertex inside)")
    n_ok = sum(flags.values())
    return [_row(j, claim_id="chinchilla_isoflop_bracketed", section="chinchilla", paper=HOFFMANN,
                 figure="fits_chinchilla_fig3_isoflop",
                 claim="Each IsoFLOP profile has a minimum inside the sampled model sizes.",
                 paper_value="clear minima at every budget (Fig. 3)", value=float(n_ok),
                 lo=nan, hi=nan, reference=f"{len(flags)} budgets, all bracketed",
                 reference_value=float(len(flags)))]


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("true", "1", "1.0")


def allocation_agreement(allocation_csv, alpha: float | None, s: Settings) -> list[Verdict]:
    """Approaches 1-3 agree on a (N_opt ∝ C^a), and each against the corpus's theoretical a."""
    t = pd.read_csv(allocation_csv)
    t = t[t["parameter"] == "a"]
    named = {str(r["fit"]).replace("own runs, ", ""): (r["fitted"], r["lo"], r["hi"])
             for _, r in t.iterrows()}
    if not named:
        return []
    a_theory = kaplan_theory(alpha)["a"] if alpha is not None else nan
    published = 0.5
    scale = a_theory if alpha is not None else published
    ref_text = (f"quantization model on this corpus: a = alpha_D/(alpha_N+alpha_D) = 1/(alpha+2) = "
                f"{a_theory:.3g}" if alpha is not None else "no corpus theory (real text)")
    j = rules.intervals_agree(named, scale=scale, max_relative_width=s.max_relative_width)
    out = [_row(j, claim_id="chinchilla_approaches_agree", section="chinchilla", paper=HOFFMANN,
                figure="fits_chinchilla_fig3_isoflop",
                claim="Approaches 1, 2 and 3 give the same allocation exponent a (N_opt ∝ C^a).",
                paper_value="a = 0.50, 0.49, 0.46 (Table 2)", value=nan, lo=nan, hi=nan,
                reference="the three intervals overlap", reference_value=nan)]
    for name, (v, lo, hi) in named.items():
        j = _interval(v, lo, hi, a_theory, s) if alpha is not None else _interval(v, lo, hi, published, s)
        slug = name.lower().replace(" ", "")
        out.append(_row(j, claim_id=f"chinchilla_a_{slug}", section="chinchilla", paper=HOFFMANN,
                        figure="fits_chinchilla_fig3_isoflop",
                        claim=f"{name}: the allocation exponent a matches the theory of this corpus.",
                        paper_value="a ≈ 0.5 (MassiveText)", value=v, lo=lo, hi=hi,
                        reference=ref_text if alpha is not None else "Hoffmann et al. 2022: a = 0.5",
                        reference_value=a_theory if alpha is not None else published))
    return out


def irreducible(irreducible_csv, section: str, figure: str, s: Settings) -> list[Verdict]:
    """Fitted E against the floor the trainer can reach (fits' irreducible table).

    Chinchilla's E (Approach 3, L(N, D)) estimates the floor itself: judged two-sided. Kaplan's E
    comes from L(N) at the most-data runs' fixed token count, so it is the loss of an infinitely
    large model on those tokens, E + B D^-beta: it must lie at or above the floor, and is judged
    one-sided (a straddling interval is not identifiable, never a pass)."""
    t = pd.read_csv(irreducible_csv)
    if "floor_nats" not in t.columns or t["floor_nats"].isna().all():
        return []  # real text: no floor known
    r = t.iloc[0]
    floor = float(r["floor_nats"])
    reference = (f"entropy of the trainer's windows {floor:.4g} nats "
                 f"(window_entropy_floor; {float(r['entropy_rate_nats']):.4g} if the "
                 f"position in the document were known)")
    if section == "chinchilla":
        j = _interval(r["E_fitted"], r["lo"], r["hi"], floor, s,
                      tolerance=s.irreducible_tolerance / floor)
        claim = (f"The fitted irreducible loss E ({r['fit']}) equals the lowest loss the trainer "
                 f"can reach on this corpus.")
        paper_value = "E = 1.69 nats (MassiveText; unknown true floor)"
    else:
        j = rules.interval_at_least_rule(r["E_fitted"], r["lo"], r["hi"], floor,
                                         tolerance=s.irreducible_tolerance)
        claim = (f"L(N) at a fixed token count levels off at E(D) = E + B D^-beta ({r['fit']}): "
                 f"its asymptote lies at or above the lowest loss the trainer can reach.")
        paper_value = "no irreducible term on WebText (Eq. 1.1)"
    return [_row(j, claim_id=f"{section}_E_vs_floor", section=section,
                 paper=HOFFMANN if section == "chinchilla" else KAPLAN, figure=figure,
                 claim=claim, paper_value=paper_value,
                 value=r["E_fitted"], lo=r["lo"], hi=r["hi"],
                 reference=reference, reference_value=floor)]


def public_refit(table_csv, s: Settings) -> list[Verdict]:
    """The public Chinchilla points refit against Besiroglu et al. 2024's published refit."""
    t = pd.read_csv(table_csv).set_index("parameter")
    ref = dict(E=BESIROGLU_2024_E_PRECISE, A=BESIROGLU_2024.A, B=BESIROGLU_2024.B,
               alpha=BESIROGLU_2024.alpha, beta=BESIROGLU_2024.beta)
    out = []
    for p, v in ref.items():
        if p not in t.index:
            continue
        r = t.loc[p]
        if p in ("A", "B"):
            # Scale parameters: judged in log space (their intervals are multiplicative).
            logs = [math.log(x) if x > 0 else nan for x in (r["fitted"], r["lo"], r["hi"], v)]
            j = _interval(*logs, s)
            j = j._replace(rule="in log space (a scale parameter): " + j.rule,
                           detail=f"ln: {j.detail}; {p} = {r['fitted']:.4g} [{r['lo']:.4g}, {r['hi']:.4g}]")
        else:
            j = _interval(r["fitted"], r["lo"], r["hi"], v, s)
        out.append(_row(j, claim_id=f"chinchilla_public_{p}", section="chinchilla", paper=BESIROGLU,
                        figure="fits_chinchilla_public_refit",
                        claim=f"Refitting Approach 3 on the 240 public points recovers {p} of the replication.",
                        paper_value=f"{p} = {v:g}", value=r["fitted"], lo=r["lo"], hi=r["hi"],
                        reference=f"Besiroglu et al. 2024 refit: {p} = {v:g}", reference_value=v))
    return out


# ---------------------------------------------------------------- Muennighoff (data-constrained)

def repeated_data_half_life(fit_json, s: Settings) -> list[Verdict]:
    """Muennighoff et al. 2023: the half-life of repeated data R_D* (fits_data_constrained_runs'
    fit JSON: R_D_star with its bootstrap interval lo, hi) against the published 15.4, by the
    interval rule; R_N* against 5.3 the same way where the fit identified it, else not identifiable
    with the fit's reason."""
    f = _read_json(fit_json)
    pub_D, pub_N = f["published_R_D_star"], f["published_R_N_star"]
    level = f.get("level", nan)
    j = _interval(f["R_D_star"], f["lo"], f["hi"], pub_D, s)
    common = dict(section="muennighoff", paper=MUENNIGHOFF, figure="fits_data_constrained")
    out = [_row(j, claim_id="muennighoff_R_D_star", **common,
                claim="Repeated tokens lose value with the half-life R_D* of Muennighoff et al.'s "
                      "effective data D' = U + U R_D* (1 - exp(-R/R_D*)).",
                paper_value=f"R_D* = {pub_D:g} (C4, models up to 9B; about 4 epochs cost almost nothing)",
                value=f["R_D_star"], lo=f["lo"], hi=f["hi"],
                reference=(f"published R_D* = {pub_D:g}; this corpus's own value is what the runs give "
                           f"({f.get('n_repeated')} runs repeat; interval {level:.0%} bootstrap)"),
                reference_value=pub_D)]
    if f.get("R_N_identified"):
        j = _interval(f["R_N_star"], f["R_N_lo"], f["R_N_hi"], pub_N, s)
        value, lo, hi = f["R_N_star"], f["R_N_lo"], f["R_N_hi"]
    else:
        j = rules.Judgement(NOT_IDENTIFIABLE, f.get("R_N_reason") or "R_N* not fitted",
                            "R_N* fitted (>= 2 model sizes repeat one unique-token budget, one above "
                            "U_N) -> the interval rule against 5.3; else not identifiable")
        value = lo = hi = nan
    out.append(_row(j, claim_id="muennighoff_R_N_star", **common,
                    claim="Parameters beyond the compute-optimal size for the unique data lose value "
                          "with the half-life R_N*.",
                    paper_value=f"R_N* = {pub_N:g}", value=value, lo=lo, hi=hi,
                    reference=f"published R_N* = {pub_N:g}", reference_value=pub_N))
    return out


# ---------------------------------------------------------------- quantization model

def quantization_exponents(exponents_csv, s: Settings) -> list[Verdict]:
    """Michaud et al.: α_N = α and α_D = α/(α+1) on multitask sparse parity; exponents.csv has one
    row per α with `<q>`, `<q>_lo`, `<q>_hi`, `<q>_theory` for q in alpha_N, alpha_D."""
    t = pd.read_csv(exponents_csv)
    out = []
    for _, r in t.iterrows():
        a = float(r["alpha"])
        for q in ("alpha_N", "alpha_D"):
            if q not in r:
                continue
            j = _interval(r[q], r[f"{q}_lo"], r[f"{q}_hi"], r[f"{q}_theory"], s)
            form = "alpha" if q == "alpha_N" else "alpha/(alpha+1)"
            out.append(_row(j, claim_id=f"quantization_{q}_a{a:g}", section="quantization", paper=MICHAUD,
                            figure="quantization_scaling",
                            claim=f"With Zipf exponent alpha + 1 = {a + 1:g}, loss falls as "
                                  f"{'N' if q == 'alpha_N' else 'D'}^-{q} with {q} = {form}.",
                            paper_value=f"{q} = {form}", value=r[q], lo=r[f"{q}_lo"], hi=r[f"{q}_hi"],
                            reference=f"quantization model: {q} = {form} = {float(r[f'{q}_theory']):.3g}",
                            reference_value=r[f"{q}_theory"]))
    return out


def quantization_abruptness(transitions_csv, s: Settings) -> list[Verdict]:
    """Michaud et al.: each quantum is learned abruptly, a plateau at chance then a short drop.

    Judged on the subtask run (`run == "subtask_run"` rows of subtask_transitions.csv, one per
    learned subtask); the width sweep's widest net, on the exponents' task, is quoted beside it."""
    t = pd.read_csv(transitions_csv)
    run = t[t["run"] == "subtask_run"]
    j = rules.abruptness_rule(run["start_step"], run["duration"], max_ratio=s.abrupt_max_ratio,
                              min_learned=s.abrupt_min_learned)
    ratio = run["drop_to_plateau"].to_numpy(float)
    value, lo, hi = (np.quantile(ratio, [0.5, 0.25, 0.75]) if ratio.size else (nan, nan, nan))
    bits = int(run["n_bits"].iloc[0]) if len(run) else None
    sweep = t[t["run"] == "width_sweep"]
    if len(sweep):
        widest = sweep[sweep["width"] == sweep["width"].max()]
        j = j._replace(detail=j.detail + f"; width sweep's widest net (width {int(widest['width'].iloc[0])}, "
                       f"n = {int(widest['n_bits'].iloc[0])} bits): {len(widest)} learned, median "
                       f"drop/plateau {widest['drop_to_plateau'].median():.3g}")
    return [_row(j, claim_id="quantization_abrupt_learning", section="quantization", paper=MICHAUD,
                 figure="quantization_subtask_curves",
                 claim="Each subtask (quantum) is learned abruptly: its loss sits at chance, then drops "
                       "to near zero in a short stretch of training.",
                 paper_value="abrupt per-subtask drops after plateaus (Sec. 3, multitask sparse parity)",
                 value=float(value), lo=float(lo), hi=float(hi),
                 reference=(f"median drop/plateau (interval: interquartile range) of the subtask run"
                            f"{f' (n = {bits} bits)' if bits else ''}, at most {s.abrupt_max_ratio:g}"),
                 reference_value=s.abrupt_max_ratio)]


# ---------------------------------------------------------------- predict

def extrapolation(summary_csv, dataset: str, s: Settings) -> list[Verdict]:
    """Held-out error of fitted laws, and the actual coverage of their nominal intervals."""
    t = pd.read_csv(summary_csv)
    t = t[t["kind"] == "fit on split"]
    out = []
    for _, r in t.iterrows():
        law = str(r["law"])
        slug = re.sub(r"[^a-z0-9]+", "_", law.lower()).strip("_")
        fig = f"predict_extrapolation_{dataset}"
        err = r["held_out_mean_abs_rel_error"]
        j = rules.at_most_rule(err, s.extrapolation_max_error, "held-out mean |relative error|")
        out.append(_row(j, claim_id=f"predict_{dataset}_{slug}_error", section="predict", paper=HOFFMANN,
                        figure=fig,
                        claim=f"{law} fitted on the smaller {'runs' if dataset == 'runs' else 'points'} "
                              f"predicts the held-out larger ones.",
                        paper_value="scaling laws extrapolate (the premise of Secs. 3-4)",
                        value=err, lo=nan, hi=nan,
                        reference=f"mean |relative error| at most {s.extrapolation_max_error:g}",
                        reference_value=s.extrapolation_max_error))
        n = int(r["n_held_out"])
        for col, what in (("held_out_band_coverage", "bootstrap band"),
                          ("held_out_interval_coverage", "prediction interval")):
            cov = r[col]
            if not np.isfinite(cov):
                value, lo, hi = nan, nan, nan
            else:
                value, lo, hi = rules.coverage_interval(int(round(cov * n)), n, s.coverage_confidence)
            j = _interval(value, lo, hi, s.predict_level, s)
            if n < s.min_coverage_points and j.verdict != NOT_IDENTIFIABLE:
                j = j._replace(verdict=NOT_IDENTIFIABLE,
                               detail=f"fewer than {s.min_coverage_points} held-out points; " + j.detail)
            j = j._replace(detail=f"{n} held-out points; " + j.detail,
                           rule=f"{j.rule}; fewer than {s.min_coverage_points} held-out points -> "
                                f"not identifiable")
            out.append(_row(j, claim_id=f"predict_{dataset}_{slug}_{'band' if 'band' in col else 'pi'}_coverage",
                            section="predict", paper=HOFFMANN, figure=fig,
                            claim=f"{law}: the nominal {s.predict_level:.0%} {what} covers "
                                  f"{s.predict_level:.0%} of held-out points.",
                            paper_value="(no interval published)", value=value, lo=lo, hi=hi,
                            reference=f"nominal level {s.predict_level:g}; interval = "
                                      f"{s.coverage_confidence:.0%} Clopper-Pearson on the actual coverage",
                            reference_value=s.predict_level))
    return out


# ---------------------------------------------------------------- capacity

def capacity(fit_json, s: Settings) -> list[Verdict]:
    """Niu et al.: N_min = O(D^2) for memorising D patterns; against 2, Kaplan's 1.35 and linear 1."""
    f = _read_json(fit_json)
    b, lo, hi = f["exponent"], f["lo"], f["hi"]
    # Only capacity-limited points are in the fit (fit.json's fit_rule); the censored ones are named.
    censored = f.get("censored", [])
    left_out = (f"; left out (censored): " + ", ".join(f"D={c['patterns']} {c['censored']}" for c in censored)
                if censored else "")
    out = []
    for slug, ref, paper, text in (
            ("niu", 2.0, NIU, "Niu et al.: N = O(D^2), exponent 2"),
            ("kaplan", 1 / 0.74, KAPLAN, "Kaplan et al. Eq. 4.4 overfitting rule D ~ N^0.74, "
                                         "i.e. N ~ D^1.35"),
            ("linear", 1.0, "linear capacity", "a fixed number of bits per parameter: N ~ D")):
        j = _interval(b, lo, hi, ref, s)
        if f.get("not_identifiable"):
            j = j._replace(detail=f"no exponent: {f['not_identifiable']}")
        j = j._replace(detail=j.detail + left_out)
        out.append(_row(j, claim_id=f"capacity_exponent_vs_{slug}", section="capacity", paper=paper,
                        figure="capacity_n_vs_d",
                        claim=f"The smallest model that memorises D patterns grows as D^{ref:.3g} "
                              f"({f.get('criterion', 'memorisation criterion')}).",
                        paper_value=text, value=b, lo=lo, hi=hi,
                        reference=f"{text}; interval level {f.get('level', nan)}, {f.get('n_points')} "
                                  f"capacity-limited points",
                        reference_value=ref))
    return out


# ---------------------------------------------------------------- run health

def kaplan_frontier(table_csv, alpha: float | None, s: Settings) -> list[Verdict]:
    """Along the compute-efficient frontier N_opt ∝ C^x, x < 1 (D_opt = C/6N_opt grows with C)."""
    t = pd.read_csv(table_csv)
    r = t[t["fit"] == "N_opt = k C^x"]
    if not len(r):
        return []
    x = float(r.iloc[0]["fitted"])
    j = rules.at_most_rule(x, 1.0, "frontier exponent x")
    theory = (f"; quantization theory a = 1/(alpha+2) = {kaplan_theory(alpha)['a']:.3g}"
              if alpha is not None else "")
    return [_row(j, claim_id="health_kaplan_frontier_data_grows", section="health", paper=KAPLAN,
                 figure="fits_kaplan_fig1_power_laws",
                 claim="Along the compute-efficient frontier N_opt ∝ C^x the data D_opt = C/(6 N_opt) "
                       "grows with compute (x < 1).",
                 paper_value=f"x = {r.iloc[0].get('Kaplan et al. 2020', 0.73)} (Eq. 1.7)", value=x,
                 lo=nan, hi=nan, reference=f"x <= 1{theory}", reference_value=1.0)]


def runs_above_floor(summaries: list, val_json, s: Settings) -> list[Verdict]:
    """No run's final validation loss lies below the floor the trainer can reach (else: a leak)."""
    from ..data.synthetic import window_entropy_floor

    meta = _read_json(val_json)
    if meta.get("generator") != "zipf_facts" or not summaries:
        return []
    floors, flags, worst = {}, {}, (math.inf, "")
    for p in summaries:
        summ = _read_json(p)
        b = int(summ["block_size"])
        if b not in floors:
            floors[b] = window_entropy_floor(meta, b)
        margin = float(summ["final_val_loss"]) - floors[b].lo
        flags[str(summ["run"])] = margin >= -s.floor_tolerance
        worst = min(worst, (margin, str(summ["run"])))
    j = rules.all_pass(flags, f"run's final validation loss at least the window floor - "
                              f"{s.floor_tolerance:g} nats")
    j = j._replace(detail=j.detail + f"; closest run {worst[1]} at {worst[0]:+.3g} nats from its floor")
    fl = ", ".join(f"block {b}: {f.value:.4g}" for b, f in sorted(floors.items()))
    return [_row(j, claim_id="health_runs_above_floor", section="health", paper="",
                 figure="report_expected_loss_bands",
                 claim="No training run's validation loss falls below the lowest loss the trainer can "
                       "reach on this corpus.",
                 paper_value="", value=worst[0], lo=nan, hi=nan,
                 reference=f"entropy of the trainer's windows ({fl})", reference_value=0.0)]
