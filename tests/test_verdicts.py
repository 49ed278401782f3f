"""Verdict rules on synthetic inputs with known answers: every rule gives all three verdicts,
and every claim function turns tiny output files into the rows the rules imply."""
from __future__ import annotations

import json
from pathlib import Path
import math

import numpy as np
import pandas as pd
import pytest

from scalinglab.verdicts import COLUMNS, NOT_IDENTIFIABLE, NOT_REPRODUCED, REPRODUCED, Verdict
from scalinglab.verdicts import claims, rules
from scalinglab.verdicts.claims import Settings
from scalinglab.verdicts.collect import collect
from scalinglab.verdicts.table import read_verdicts, write_verdicts

R, NR, NI = REPRODUCED, NOT_REPRODUCED, NOT_IDENTIFIABLE
S = Settings()


# ---------------------------------------------------------------- rules

@pytest.mark.parametrize("args, expected", [
    ((0.5, 0.45, 0.55, 0.5), R),
    ((0.2, 0.15, 0.25, 0.5), NR),
    ((0.8, 0.75, 0.85, 0.5), NR),
    ((1.35, 0.15, 3.2, 0.5), NI),       # wider than the reference itself
    ((0.5, math.nan, math.nan, 0.5), NI),
    ((0.5, 0.45, 0.55, math.nan), NI),
])
def test_interval_rule(args, expected):
    assert rules.interval_rule(*args, max_relative_width=1.0).verdict == expected


def test_interval_rule_tolerance_widens_the_interval():
    assert rules.interval_rule(0.4, 0.38, 0.42, 0.44, max_relative_width=1.0).verdict == NR
    assert rules.interval_rule(0.4, 0.38, 0.42, 0.44, max_relative_width=1.0,
                               tolerance=0.1).verdict == R


@pytest.mark.parametrize("named, expected", [
    ({"A1": (0.4, 0.3, 0.5), "A2": (0.45, 0.35, 0.55), "A3": (0.42, 0.38, 0.6)}, R),
    ({"A1": (0.24, 0.2, 0.26), "A2": (0.45, 0.35, 0.55)}, NR),
    ({"A1": (0.05, -0.09, 1.62), "A2": (0.45, 0.35, 0.55)}, NI),
    ({"A1": (0.4, 0.3, 0.5), "A2": (0.4, math.nan, math.nan)}, NI),
])
def test_intervals_agree(named, expected):
    assert rules.intervals_agree(named, scale=0.4, max_relative_width=1.0).verdict == expected


def test_all_pass():
    assert rules.all_pass({"a": True, "b": True}, "x").verdict == R
    assert rules.all_pass({"a": True, "b": False}, "x").verdict == NR
    assert rules.all_pass({}, "x").verdict == NI


def _curve(rise, n=20, noise=0.0, seed=0):
    t = np.linspace(0, 1, n)
    val = 3 - 2 * np.minimum(t, 0.5) + rise * np.clip(t - 0.5, 0, None) * 2
    val = val + np.random.default_rng(seed).normal(0, noise, n)
    train = 3 - 2.5 * t
    return val, train


@pytest.mark.parametrize("rise, noise, n, expect_overfit, expected", [
    (0.5, 0.0, 20, True, R),      # rises: overfits, as claimed
    (0.0, 0.0, 20, True, NR),     # claimed overfitting, flat val loss
    (0.0, 0.0, 20, False, R),     # claimed no overfitting, none
    (0.5, 0.0, 20, False, NR),    # claimed no overfitting, but it rises
    (0.5, 0.0, 3, True, NI),      # too few evaluations
    (0.5, 0.3, 20, True, NI),     # noise as large as the threshold
])
def test_overfitting_rule(rise, noise, n, expect_overfit, expected):
    val, train = _curve(rise, n, noise)
    j = rules.overfitting_rule(val, train, min_rise=0.05, min_evaluations=4,
                               expect_overfit=expect_overfit)
    assert j.verdict == expected, j.detail


def _stepwise(n=2000, noise=0.01, seed=0, steps=True):
    t = np.arange(n)
    if steps:  # a plateau at 3, a drop to 2 at step 600, a plateau, a drop to 1.2 at 1300
        y = 3 - 1.0 / (1 + np.exp(-(t - 600) / 10)) - 0.8 / (1 + np.exp(-(t - 1300) / 10))
    else:  # smooth power-law decline, no plateau followed by a drop
        y = 1.2 + 1.8 * (1 + t / 5) ** -0.7
    return y + np.random.default_rng(seed).normal(0, noise, n)


PLATEAU = dict(window=20, flat_tolerance=0.03, min_plateau=80, min_drop=0.1)


def test_plateau_drop_rule_three_ways():
    assert rules.plateau_drop_rule(_stepwise(), **PLATEAU).verdict == R
    j = rules.plateau_drop_rule(_stepwise(steps=False), **PLATEAU)
    assert j.verdict == NR, j.detail
    assert rules.plateau_drop_rule(_stepwise(noise=1.0), **PLATEAU).verdict == NI
    assert rules.plateau_drop_rule(_stepwise()[:100], **PLATEAU).verdict == NI


def test_plateaus_and_drops_finds_both_steps():
    events = rules.plateaus_and_drops(_stepwise(), **PLATEAU)
    assert len(events) == 2
    assert events[0].level == pytest.approx(3.0, abs=0.05) and events[0].end < 620
    assert events[1].level == pytest.approx(2.0, abs=0.05) and 620 < events[1].start < 1300


def test_near_rule():
    assert rules.near_rule(1.05, 1.0, tolerance=0.1).verdict == R
    assert rules.near_rule(1.3, 1.0, tolerance=0.1).verdict == NR
    assert rules.near_rule(1.05, 1.0, tolerance=0.1, condition=(False, "ln d / n too big")).verdict == NI
    assert rules.near_rule(1.05, None, tolerance=0.1).verdict == NI


def test_at_most_rule():
    assert rules.at_most_rule(0.01, 0.05, "err").verdict == R
    assert rules.at_most_rule(0.2, 0.05, "err").verdict == NR
    assert rules.at_most_rule(math.nan, 0.05, "err").verdict == NI


def test_coverage_interval_and_verdicts():
    v, lo, hi = rules.coverage_interval(2, 23, 0.95)  # 9% actual coverage of 23 held-out points
    assert v == pytest.approx(2 / 23) and lo < v < hi < 0.9
    assert rules.interval_rule(v, lo, hi, 0.9, max_relative_width=1.0).verdict == NR
    v, lo, hi = rules.coverage_interval(21, 23, 0.95)
    assert rules.interval_rule(v, lo, hi, 0.9, max_relative_width=1.0).verdict == R
    v, lo, hi = rules.coverage_interval(1, 1, 0.95)  # one point cannot tell
    assert rules.interval_rule(v, lo, hi, 0.9, max_relative_width=1.0).verdict == NI
    assert all(math.isnan(x) for x in rules.coverage_interval(0, 0))


# ---------------------------------------------------------------- table

def _row(**kw):
    base = dict(claim_id="x", section="health", paper="p", figure="", claim="c", paper_value="pv",
                value=1.0, lo=math.nan, hi=None, reference="r", reference_value=2.0, rule="rule",
                verdict=R, detail="d")
    return Verdict(**{**base, **kw})


def test_table_round_trip_and_contract(tmp_path):
    rows = [_row(), _row(claim_id="y", verdict=NI, value=math.nan, figure="fig")]
    write_verdicts(rows, tmp_path / "v.csv", tmp_path / "v.json")
    assert tuple(pd.read_csv(tmp_path / "v.csv").columns) == COLUMNS == (
        "claim_id", "section", "paper", "figure", "claim", "paper_value", "value", "lo", "hi",
        "reference", "reference_value", "rule", "verdict", "detail")
    back = read_verdicts(tmp_path / "v.csv")
    assert [b.claim_id for b in back] == ["x", "y"] and math.isnan(back[0].hi)
    assert back[1].figure == "fig" and back[0].figure == ""
    js = json.loads((tmp_path / "v.json").read_text())
    assert js[0]["hi"] is None and list(js[0]) == list(COLUMNS)
    assert Verdict.from_dict(js[0]).to_dict().keys() == rows[0].to_dict().keys()


def test_bad_verdict_or_section_is_refused():
    with pytest.raises(ValueError, match="verdict"):
        _row(verdict="maybe")
    with pytest.raises(ValueError, match="section"):
        _row(section="misc")


# ---------------------------------------------------------------- claims on tiny files

def _run(tmp_path, name, fraction, val, train):
    d = tmp_path / "train" / name
    d.mkdir(parents=True)
    pd.DataFrame(dict(step=np.arange(len(val)), val_loss=val, train_loss=train)).to_csv(
        d / "metrics.csv", index=False)
    (d / "summary.json").write_text(json.dumps(dict(fraction=fraction, model="demo-s")))
    return str(d / "summary.json")


def test_memory_overfitting_claims(tmp_path):
    over, _ = _curve(0.5)
    flat, train = _curve(0.0)
    paths = [_run(tmp_path, "a", 0.001, over, train), _run(tmp_path, "b", 1.0, flat, train),
             _run(tmp_path, "c", 0.01, flat, train)]
    rows = claims.memory_overfitting(paths, S)
    assert [(r.claim_id, r.verdict) for r in rows] == [("memory_overfits_f0.001", R),
                                                       ("memory_no_overfit_f1", R)]
    paths = [_run(tmp_path, "d", 0.001, flat, train), _run(tmp_path, "e", 1.0, over, train)]
    assert [r.verdict for r in claims.memory_overfitting(paths, S)] == [NR, NR]


def _distance_summary(tmp_path, name, q25, q50, q75, n=32, available=True):
    p = tmp_path / f"{name}.json"
    r = math.sqrt(n / (2 * math.pi * math.e))
    p.write_text(json.dumps(dict(checkpoint=name, label=name, available=available, n_embd=n,
                                 radius_theoretical=r,
                                 quantiles=dict(q25=q25 * r, q50=q50 * r, q75=q75 * r))))
    return str(p)


def test_memory_distance_claims(tmp_path):
    paths = [_distance_summary(tmp_path, "near", 0.8, 1.0, 1.2),
             _distance_summary(tmp_path, "far", 3.0, 3.5, 4.0),
             _distance_summary(tmp_path, "spread", 0.1, 1.0, 2.5),
             _distance_summary(tmp_path, "gone", 0, 0, 0, available=False)]
    got = {r.claim_id: r.verdict for r in claims.memory_distances(paths, S)}
    assert got == {"memory_distance_radius_near": R, "memory_distance_radius_far": NR,
                   "memory_distance_radius_spread": NI}
    # With the states' scale and near-copies in the summary (memory_distances writes them), the
    # detail says what the comparison rests on; the verdict is the interval rule's alone.
    p = Path(paths[1])
    summ = json.loads(p.read_text())
    summ.update(state_norm_mean=8.1, state_rms_coordinate=1.43, median_over_rms_coordinate=0.05,
                fraction_near_copies=0.6, near_copy_threshold=0.137,
                shared_suffix=dict(median=2.0, fraction_at_least_1=0.88))
    p.write_text(json.dumps(summ))
    row = {r.claim_id: r for r in claims.memory_distances(paths, S)}["memory_distance_radius_far"]
    assert row.verdict == NR
    assert "states' mean norm 8.1 = 1.43 x sqrt(n)" in row.detail and "sqrt(n) = 5.66" in row.detail
    assert "60% of queries are near-copies" in row.detail and "88% end in the same token(s)" in row.detail
    assert "no rescaling" in row.rule


def _qf_files(tmp_path, loss, entropy, n_embd=768, tokens=2_000_000):
    pd.DataFrame(dict(step=np.arange(loss.size), loss=loss)).to_csv(tmp_path / "loss.csv", index=False)
    (tmp_path / "summary.json").write_text(json.dumps(dict(model=dict(n_embd=n_embd))))
    (tmp_path / "data.json").write_text(json.dumps(dict(
        source="generate", entropy_per_token_nats=entropy, splits=dict(train=dict(tokens=tokens)))))
    return [str(tmp_path / f) for f in ("loss.csv", "summary.json", "data.json")]


def test_question_formation_claims(tmp_path):
    s = Settings(plateau=dict(window_fraction=0.01, min_plateau_fraction=0.04, flat_tolerance=0.03,
                              min_drop=0.1))
    loss = _stepwise()
    rows = {r.claim_id: r for r in claims.question_formation(*_qf_files(tmp_path, loss, 1.2), s)}
    assert rows["question_formation_plateau_drop"].verdict == R
    assert rows["question_formation_final_vs_entropy"].verdict == R  # ends at 1.2 = the floor
    assert rows["question_formation_final_vs_niu_constant"].verdict == NR  # 1.2 vs 1 +- 0.1
    rows = {r.claim_id: r for r in claims.question_formation(
        *_qf_files(tmp_path, _stepwise(steps=False), 0.98, n_embd=64, tokens=40_000), s)}
    assert rows["question_formation_plateau_drop"].verdict == NR
    assert rows["question_formation_final_vs_entropy"].verdict == NR  # 1.2 against 0.98
    assert rows["question_formation_final_vs_niu_constant"].verdict == NI  # ln d / n = 0.17
    rows = {r.claim_id: r for r in claims.question_formation(*_qf_files(tmp_path, loss, None), s)}
    assert rows["question_formation_final_vs_entropy"].verdict == NI  # McCoy's files: unknown


def _kaplan_csv(tmp_path, aN, aD, aC, reducible=None):
    """Kaplan's forms of L (judged for real text) and, with `reducible` = (aN, aD, aC), the fits
    of L - E_floor that the corpus's theory is judged on."""
    rows = [dict(fit=f, parameter="alpha", fitted=v, lo=lo, hi=hi) for f, (v, lo, hi) in
            (("L(N), with E", aN), ("L(N), pure", (0.1, 0.09, 0.11)), ("L(D), pure", aD),
             ("L(C_min), pure", aC))]
    if reducible is not None:
        rN, rD, rC = reducible
        rows += [dict(fit="L(N, D) - E_floor", parameter=p, fitted=v, lo=lo, hi=hi)
                 for p, (v, lo, hi) in (("alpha_N", rN), ("alpha_D", rD))]
        rows += [dict(fit="L(C_min) - E_floor", parameter="alpha", fitted=rC[0], lo=rC[1], hi=rC[2]),
                 dict(fit="L(N) - E_floor", parameter="alpha", fitted=0.2, lo=0.15, hi=0.25)]
    pd.DataFrame(rows).to_csv(tmp_path / "kaplan.csv", index=False)
    return tmp_path / "kaplan.csv"


def test_kaplan_theory_and_exponent_claims(tmp_path):
    th = claims.kaplan_theory(0.5)
    assert th["alpha_N"] == 0.5 and th["alpha_D"] == pytest.approx(1 / 3)
    assert th["a"] == pytest.approx(0.4) and th["alpha_C"] == pytest.approx(0.2)
    # alpha_C is the frontier exponent of L - E = A N^-aN + B D^-aD at C = 6 N D: minimise over
    # N numerically and read the slope of log(L - E) against log C.
    C = np.logspace(10, 20, 6)
    N = np.logspace(0, 20, 20001)
    red = [np.min(N ** -0.5 + (c / (6 * N)) ** (-1 / 3)) for c in C]
    assert -np.polyfit(np.log(C), np.log(red), 1)[0] == pytest.approx(th["alpha_C"], abs=1e-3)
    # The corpus's theory is judged on the fits of L - E_floor, whatever Kaplan's forms of L say.
    path = _kaplan_csv(tmp_path, (0.9, 0.1, 1.5), (0.06, 0.02, 0.11), (0.07, 0.04, 0.14),
                       reducible=((0.5, 0.4, 0.6), (0.6, 0.5, 0.7), (0.25, 0.15, 0.45)))
    got = {r.claim_id: r for r in claims.kaplan_exponents(path, 0.5, S)}
    assert got["kaplan_alpha_N"].verdict == R and got["kaplan_alpha_N"].reference_value == 0.5
    assert got["kaplan_alpha_D"].verdict == NR  # [0.5, 0.7] excludes 1/3
    assert got["kaplan_alpha_C"].verdict == NI  # width 0.3 > 1 x 0.2
    for key in ("alpha_N", "alpha_D", "alpha_C"):
        assert "L - E_floor" in got[f"kaplan_{key}"].rule and "WebText" in got[f"kaplan_{key}"].reference
    assert "L(N, D) - E_floor" in got["kaplan_alpha_N"].claim
    assert "L(N) - E_floor: 0.2 [0.15, 0.25]" in got["kaplan_alpha_N"].detail
    # No fit of L - E_floor on a corpus with a theory: not identifiable, with the reason.
    path = _kaplan_csv(tmp_path, (0.5, 0.4, 0.6), (0.054, 0.05, 0.06), (0.2, 0.19, 0.21))
    got = {r.claim_id: r for r in claims.kaplan_exponents(path, 0.5, S)}
    assert {r.verdict for r in got.values()} == {NI}
    assert "no fit of L(N, D) - E_floor" in got["kaplan_alpha_N"].detail
    # Real text: Kaplan's forms of L against WebText's values.
    real = {r.claim_id: r for r in claims.kaplan_exponents(path, None, S)}
    assert real["kaplan_alpha_D"].reference_value == 0.095
    assert real["kaplan_alpha_D"].verdict == NR  # [0.05, 0.06] excludes 0.095
    assert real["kaplan_alpha_C"].verdict == NR  # [0.19, 0.21] excludes 0.05
    assert real["kaplan_alpha_N"].verdict == NI  # [0.4, 0.6]: width 0.2 > 0.076


def test_isoflop_and_allocation_claims(tmp_path):
    iso = pd.DataFrame(dict(C=[1e15, 1e16], bracketed=[True, True], vertex_inside=[True, True],
                            skipped=["", ""]))
    iso.to_csv(tmp_path / "iso.csv", index=False)
    assert claims.isoflop_bracketed(tmp_path / "iso.csv", S)[0].verdict == R
    iso.loc[1, "bracketed"] = False
    iso.to_csv(tmp_path / "iso.csv", index=False)
    assert claims.isoflop_bracketed(tmp_path / "iso.csv", S)[0].verdict == NR
    pd.DataFrame(dict(C=[np.nan], bracketed=[np.nan], vertex_inside=[np.nan],
                      skipped=["parabola opens downwards"])).to_csv(tmp_path / "iso.csv", index=False)
    assert claims.isoflop_bracketed(tmp_path / "iso.csv", S)[0].verdict == NR

    def alloc(rows):
        pd.DataFrame([dict(fit=f"own runs, Approach {i + 1}", parameter="a", fitted=v, lo=lo, hi=hi)
                      for i, (v, lo, hi) in enumerate(rows)]).to_csv(tmp_path / "a.csv", index=False)
        return {r.claim_id: r.verdict for r in claims.allocation_agreement(tmp_path / "a.csv", 0.5, S)}

    got = alloc([(0.4, 0.35, 0.45), (0.41, 0.3, 0.5), (0.39, 0.37, 0.42)])
    assert got == {"chinchilla_approaches_agree": R, "chinchilla_a_approach1": R,
                   "chinchilla_a_approach2": R, "chinchilla_a_approach3": R}
    got = alloc([(0.24, 0.2, 0.26), (0.05, -0.09, 1.62), (0.4, 0.37, 0.42)])
    assert got["chinchilla_approaches_agree"] == NI and got["chinchilla_a_approach2"] == NI
    assert got["chinchilla_a_approach1"] == NR
    got = alloc([(0.24, 0.2, 0.26), (0.4, 0.35, 0.45)])
    assert got["chinchilla_approaches_agree"] == NR


def test_irreducible_claim(tmp_path):
    def judge(E, lo, hi):
        pd.DataFrame([dict(fit="own runs, Approach 3", E_fitted=E, lo=lo, hi=hi, floor_nats=0.78,
                           entropy_rate_nats=0.736)]).to_csv(tmp_path / "e.csv", index=False)
        return claims.irreducible(tmp_path / "e.csv", "chinchilla", "f", S)[0].verdict

    assert judge(0.63, 7e-9, 0.89) == NI
    assert judge(0.8, 0.75, 0.85) == R
    assert judge(0.3, 0.25, 0.35) == NR
    pd.DataFrame([dict(fit="x", note="real text")]).to_csv(tmp_path / "e.csv", index=False)
    assert claims.irreducible(tmp_path / "e.csv", "chinchilla", "f", S) == []


def test_kaplan_irreducible_claim_is_one_sided(tmp_path):
    """Kaplan's E is L(N)'s asymptote at a fixed token count (E + B D^-beta): at or above the
    floor passes, wholly below fails, and an interval straddling the floor is not identifiable
    (the old two-sided rule passed [0.91, 1.17] against 0.98 on its width alone)."""
    def judge(E, lo, hi):
        pd.DataFrame([dict(fit="own runs, Kaplan L(N) with E", E_fitted=E, lo=lo, hi=hi,
                           floor_nats=0.981, entropy_rate_nats=0.981)]).to_csv(tmp_path / "k.csv", index=False)
        return claims.irreducible(tmp_path / "k.csv", "kaplan", "f", S)[0].verdict

    tol = S.irreducible_tolerance
    assert judge(1.15, 0.99, 1.17) == R
    assert judge(1.15, 0.981 - tol / 2, 1.17) == R  # within the tolerance of the floor
    assert judge(1.152, 0.912, 1.167) == NI
    assert judge(0.7, 0.6, 0.8) == NR
    assert judge(1.1, float("nan"), float("nan")) == NI


def test_public_refit_claim(tmp_path):
    pd.DataFrame([dict(parameter=p, fitted=v, lo=lo, hi=hi) for p, v, lo, hi in (
        ("E", 1.817, 1.8, 1.83), ("A", 482, 400, 600), ("B", 2143, 1398, 3772),
        ("alpha", 0.2, 0.19, 0.21), ("beta", 0.366, -1, 2))]).to_csv(tmp_path / "p.csv", index=False)
    got = {r.claim_id: r.verdict for r in claims.public_refit(tmp_path / "p.csv", S)}
    assert got == {"chinchilla_public_E": R, "chinchilla_public_A": R, "chinchilla_public_B": R,
                   "chinchilla_public_alpha": NR, "chinchilla_public_beta": NI}
    # scale parameters in log space: a factor-of-ten miss is still "not reproduced"
    pd.DataFrame([dict(parameter="B", fitted=20000, lo=15000, hi=30000)]).to_csv(tmp_path / "p.csv", index=False)
    assert claims.public_refit(tmp_path / "p.csv", S)[0].verdict == NR


def test_quantization_claims(tmp_path):
    # exponents.csv as the quantization_fit stage writes it: one row per alpha, both sweeps
    pd.DataFrame([dict(alpha=0.5, alpha_N=0.52, alpha_N_lo=0.45, alpha_N_hi=0.58, alpha_N_theory=0.5,
                       alpha_D=0.52, alpha_D_lo=0.5, alpha_D_hi=0.55, alpha_D_theory=1 / 3),
                  dict(alpha=0.8, alpha_N=0.8, alpha_N_lo=0.1, alpha_N_hi=3.0, alpha_N_theory=0.8,
                       alpha_D=math.nan, alpha_D_lo=math.nan, alpha_D_hi=math.nan,
                       alpha_D_theory=0.8 / 1.8)]).to_csv(tmp_path / "q.csv", index=False)
    got = {r.claim_id: r.verdict for r in claims.quantization_exponents(tmp_path / "q.csv", S)}
    assert got == {"quantization_alpha_N_a0.5": R, "quantization_alpha_D_a0.5": NR,
                   "quantization_alpha_N_a0.8": NI, "quantization_alpha_D_a0.8": NI}


def test_abruptness_rule_three_ways():
    # (plateau, drop) per learned subtask: drops short against their plateaus -> abrupt
    assert rules.abruptness_rule([400, 900, 1500], [100, 200, 300], max_ratio=1, min_learned=3).verdict == R
    # drops longer than their plateaus, and one from step 0 (no plateau: ratio infinite)
    assert rules.abruptness_rule([100, 200, 0], [500, 900, 400], max_ratio=1, min_learned=3).verdict == NR
    j = rules.abruptness_rule([400, 900], [100, 200], max_ratio=1, min_learned=3)
    assert j.verdict == NI and "2 learned subtask(s), need 3" in j.detail
    # the median decides: one gradual subtask among abrupt ones does not flip the verdict
    assert rules.abruptness_rule([400, 900, 1500, 0], [100, 200, 300, 800], max_ratio=1,
                                 min_learned=3).verdict == R
    with pytest.raises(ValueError, match="3 start steps but 2 durations"):
        rules.abruptness_rule([1, 2, 3], [1, 2], max_ratio=1, min_learned=1)


def _subtask_curves(kind: str, n_tasks: int, learned: int) -> pd.DataFrame:
    """Per-subtask test losses every 20 steps: `learned` subtasks learned, the rest at chance.

    abrupt: chance until step 500 t, then a logistic drop of width ~40 steps; gradual: an
    exponential decay from step 0 (no plateau), slower for rarer subtasks."""
    steps = np.arange(0, 4001, 20)
    chance = math.log(2)
    rows = []
    for t in range(1, n_tasks + 1):
        if t > learned:
            loss = np.full(steps.shape, chance)
        elif kind == "abrupt":
            loss = chance / (1 + np.exp((steps - 500 * t) / 10))
        else:
            loss = chance * np.exp(-steps / (300 * t))
        rows += [dict(step=s, width=256, task=t, frequency=1 / t, loss=l) for s, l in zip(steps, loss)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("kind, learned, expected", [("abrupt", 5, R), ("gradual", 5, NR), ("abrupt", 2, NI)])
def test_quantization_abruptness_claim_on_synthetic_curves(tmp_path, kind, learned, expected):
    from scalinglab.quantization.curves import learning_transitions

    found = []
    for run, curves, bits in (("subtask_run", _subtask_curves(kind, 8, learned), 40),
                              ("width_sweep", _subtask_curves("gradual", 8, 4), 10)):
        t = learning_transitions(curves)
        t.insert(0, "run", run)
        t.insert(1, "n_bits", bits)
        found.append(t)
    pd.concat(found).to_csv(tmp_path / "transitions.csv", index=False)
    (row,) = claims.quantization_abruptness(tmp_path / "transitions.csv", S)
    assert row.claim_id == "quantization_abrupt_learning" and row.verdict == expected
    assert "width sweep's widest net (width 256, n = 10 bits): 4 learned" in row.detail
    if expected == R:
        assert row.value < 0.2 and row.lo <= row.value <= row.hi
    if expected == NR:
        assert row.value > 10  # decays from step 0: the drop is many times its "plateau"


def test_extrapolation_claims(tmp_path):
    pd.DataFrame([
        dict(law="Chinchilla L(N, D)", kind="fit on split", n_held_out=23,
             held_out_mean_abs_rel_error=0.01, held_out_band_coverage=2 / 23,
             held_out_interval_coverage=21 / 23),
        dict(law="Kaplan L(N, D)", kind="fit on split", n_held_out=1,
             held_out_mean_abs_rel_error=0.2, held_out_band_coverage=1.0,
             held_out_interval_coverage=math.nan),
        dict(law="few", kind="fit on split", n_held_out=4, held_out_mean_abs_rel_error=0.01,
             held_out_band_coverage=0.5, held_out_interval_coverage=0.75),
        dict(law="Hoffmann", kind="published", n_held_out=23, held_out_mean_abs_rel_error=0.01,
             held_out_band_coverage=math.nan, held_out_interval_coverage=math.nan),
    ]).to_csv(tmp_path / "x.csv", index=False)
    got = {r.claim_id: r.verdict for r in claims.extrapolation(tmp_path / "x.csv", "public", S)}
    assert got == {
        "predict_public_chinchilla_l_n_d_error": R,
        "predict_public_chinchilla_l_n_d_band_coverage": NR,
        "predict_public_chinchilla_l_n_d_pi_coverage": R,
        "predict_public_kaplan_l_n_d_error": NR,
        "predict_public_kaplan_l_n_d_band_coverage": NI,
        "predict_public_kaplan_l_n_d_pi_coverage": NI,
        "predict_public_few_error": R,
        "predict_public_few_band_coverage": NI,  # 4 points: fewer than min_coverage_points
        "predict_public_few_pi_coverage": NI,
    }


@pytest.mark.parametrize("b, lo, hi, expected", [
    (2.0, 1.8, 2.2, {"niu": R, "kaplan": NR, "linear": NR}),
    (1.1, 0.9, 1.3, {"niu": NR, "kaplan": NR, "linear": R}),
    (1.5, -1.0, 4.0, {"niu": NI, "kaplan": NI, "linear": NI}),
])
def test_capacity_claims(tmp_path, b, lo, hi, expected):
    (tmp_path / "fit.json").write_text(json.dumps(dict(exponent=b, lo=lo, hi=hi, level=0.8, n_points=5,
                                                       criterion="loss < 0.01", points=[])))
    got = {r.claim_id.rsplit("_", 1)[1]: r.verdict for r in claims.capacity(tmp_path / "fit.json", S)}
    assert got == expected


def test_collect_leaves_out_unconfigured_claims_and_says_so(tmp_path):
    (tmp_path / "val.json").write_text(json.dumps(dict(alpha=0.5)))
    path = _kaplan_csv(tmp_path, (0.9, 0.1, 1.5), (0.06, 0.02, 0.11), (0.07, 0.04, 0.14),
                       reducible=((0.5, 0.4, 0.6), (0.33, 0.3, 0.36), (0.2, 0.15, 0.25)))
    logged = []
    rows = collect(dict(val=str(tmp_path / "val.json"), kaplan_table=str(path)), S, log=logged.append)
    assert {r.claim_id for r in rows} == {"kaplan_alpha_N", "kaplan_alpha_D", "kaplan_alpha_C"}
    assert all(r.verdict == R for r in rows)
    assert any("left out N = O(D^2)" in m and "capacity/fit.json" in m for m in logged)
    assert any("left out question formation" in m for m in logged)


def test_settings_from_config_fill_defaults():
    s = Settings.from_config({"max_relative_width": 0.5, "plateau": {"min_drop": 0.2}},
                             irreducible_tolerance=0.1, predict_level=0.8)
    assert s.max_relative_width == 0.5 and s.plateau["min_drop"] == 0.2
    assert s.plateau["flat_tolerance"] == Settings().plateau["flat_tolerance"]
    assert s.predict_level == 0.8 and s.irreducible_tolerance == 0.1


def test_question_formation_floor_from_the_training_lines(tmp_path):
    """With train.txt the reference is the entropy of the lines as sampled (memorising floor)."""
    from scalinglab.question_formation.floors import sample_entropy_floor
    from scalinglab.question_formation.mccoy import load_pairs

    lines = ["the newt does sleep . decl\tthe newt does sleep .",
             "the yak does read . quest\tdoes the yak read ?",
             "my newt does sleep . decl\tmy newt does sleep ."]
    (tmp_path / "train.txt").write_text("\n".join(lines) + "\n")
    floor = sample_entropy_floor(load_pairs(tmp_path / "train.txt"))
    loss = np.concatenate([np.full(1000, 3.0), np.full(1000, floor)])
    rows = {r.claim_id: r for r in claims.question_formation(
        *_qf_files(tmp_path, loss, 0.98), S, tmp_path / "train.txt")}
    row = rows["question_formation_final_vs_entropy"]
    assert row.reference_value == pytest.approx(floor) and row.verdict == R
    assert "grammar entropy rate 0.98" in row.reference


def test_kaplan_frontier_claim(tmp_path):
    def judge(x):
        pd.DataFrame([dict(fit="N_opt = k C^x", parameter="exponent", fitted=x, lo=np.nan, hi=np.nan)]
                     ).to_csv(tmp_path / "k.csv", index=False)
        return claims.kaplan_frontier(tmp_path / "k.csv", 0.5, S)[0].verdict

    assert judge(0.45) == R and judge(1.07) == NR and judge(math.nan) == NI


def test_runs_above_floor_claim(tmp_path):
    from scalinglab.data.synthetic import SyntheticCorpus, window_entropy_floor

    c = SyntheticCorpus(documents=50, vocab_size=64, n_facts=40, fact_length=3, facts_per_document=4)
    meta = dict(c.sidecar(), seed=c.seed, tokens=c.tokens, source="synthetic")
    (tmp_path / "val.json").write_text(json.dumps(meta))
    floor = window_entropy_floor(meta, 8).lo

    def judge(losses):
        paths = []
        for i, loss in enumerate(losses):
            p = tmp_path / f"s{i}.json"
            p.write_text(json.dumps(dict(run=f"r{i}", block_size=8, final_val_loss=loss)))
            paths.append(str(p))
        return claims.runs_above_floor(paths, tmp_path / "val.json", S)[0].verdict

    assert judge([floor + 0.3, floor + 0.01]) == R
    assert judge([floor + 0.3, floor - 0.2]) == NR
    assert claims.runs_above_floor([], tmp_path / "val.json", S) == []
    # "not identifiable": no run to check
    assert rules.all_pass({}, "run").verdict == NI


# ---------------------------------------------------------------- Muennighoff (data-constrained)

def _half_life_fit(tmp_path, name, R_D, lo, hi, R_N=None, n_lo=math.nan, n_hi=math.nan):
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(dict(R_D_star=R_D, lo=lo, hi=hi, level=0.8, n_repeated=6, R_N_star=R_N,
                                 R_N_lo=n_lo, R_N_hi=n_hi, R_N_identified=R_N is not None,
                                 R_N_reason="" if R_N is not None else
                                 "R_N* not identified: the repeated runs have at most 1 model size(s)",
                                 published_R_D_star=15.4, published_R_N_star=5.3)))
    return str(p)


@pytest.mark.parametrize("R_D, lo, hi, expected", [
    (14.0, 11.0, 18.0, R),     # the interval holds 15.4
    (3.85, 2.06, 6.84, NR),    # the demo's: lies below 15.4
    (30.0, 24.0, 36.0, NR),    # lies above
    (9.0, 2.0, 30.0, NI),      # wider than 15.4 itself
    (9.0, math.nan, math.nan, NI),  # no interval (no bootstrap replicate)
])
def test_repeated_data_half_life_against_the_published_value(tmp_path, R_D, lo, hi, expected):
    rows = {r.claim_id: r for r in claims.repeated_data_half_life(_half_life_fit(tmp_path, "f", R_D, lo, hi), S)}
    row = rows["muennighoff_R_D_star"]
    assert row.verdict == expected and row.reference_value == 15.4 and row.section == "muennighoff"
    assert (row.value, row.lo) == (R_D, lo) or math.isnan(lo)
    n = rows["muennighoff_R_N_star"]
    assert n.verdict == NI and n.detail.startswith("R_N* not identified") and math.isnan(n.value)


@pytest.mark.parametrize("R_N, n_lo, n_hi, expected", [(5.0, 4.0, 7.0, R), (1.2, 0.9, 1.6, NR),
                                                       (5.0, 0.5, 40.0, NI)])
def test_a_fitted_R_N_star_is_judged_by_the_interval_rule(tmp_path, R_N, n_lo, n_hi, expected):
    path = _half_life_fit(tmp_path, "f", 14.0, 11.0, 18.0, R_N, n_lo, n_hi)
    rows = {r.claim_id: r for r in claims.repeated_data_half_life(path, S)}
    assert rows["muennighoff_R_N_star"].verdict == expected
    assert rows["muennighoff_R_N_star"].value == R_N


def test_collect_reads_the_data_constrained_fit(tmp_path):
    logged = []
    rows = collect(dict(data_constrained=_half_life_fit(tmp_path, "f", 3.85, 2.06, 6.84)), S, log=logged.append)
    assert [r.claim_id for r in rows] == ["muennighoff_R_D_star", "muennighoff_R_N_star"]
    assert not any("repeated data" in line for line in logged)
    collect({}, S, log=logged.append)
    assert any(line.startswith("left out repeated data (R_D*): not configured") for line in logged)
