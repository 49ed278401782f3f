"""Extrapolation checks: fit on the small points, predict the held-out large ones."""
from __future__ import annotations

import numpy as np
import pytest

from scalinglab.fits.published import BESIROGLU_2024, ChinchillaLaw
from scalinglab.predict.budget import PlanError
from scalinglab.predict.extrapolate import (check_extrapolation, chinchilla_form, holdout_mask,
                                         kaplan_form, summarise)

TRUE = ChinchillaLaw(E=1.9, A=400.0, B=1800.0, alpha=0.34, beta=0.36, source="synthetic")
NOISE = 0.005  # multiplicative scatter of each run's final loss (log-normal sigma)


def isoflop_grid(seed=0):
    """Eight IsoFLOP budgets x nine model sizes around each budget's optimum, noisy losses."""
    rng = np.random.default_rng(seed)
    N, D = [], []
    for C in np.logspace(18, 21, 8):
        n_opt = 0.1 * C ** 0.5
        for n in n_opt * np.logspace(-1, 1, 9):
            N.append(n)
            D.append(C / (6 * n))
    N, D = np.array(N), np.array(D)
    L_true = TRUE.E + TRUE.A / N ** TRUE.alpha + TRUE.B / D ** TRUE.beta
    return N, D, L_true * np.exp(rng.normal(0, NOISE, N.size)), L_true


def test_holdout_by_compute_takes_whole_budgets():
    N, D, _, _ = isoflop_grid()
    mask = holdout_mask(N, D, by="compute", n_largest=2)
    C = 6 * N * D
    assert mask.sum() == 18  # two budgets of nine runs each
    assert C[mask].min() > C[~mask].max()


def test_holdout_by_params_and_threshold():
    N, D, _, _ = isoflop_grid()
    mask = holdout_mask(N, D, by="params", n_largest=1)
    assert N[mask].min() >= N.max() * 0.99 and mask.sum() == 1
    assert holdout_mask(N, D, threshold=1e20).sum() == ((6 * N * D) >= 1e20).sum()


def test_holdout_bad_input():
    N, D, _, _ = isoflop_grid()
    with pytest.raises(PlanError, match="holdout_by"):
        holdout_mask(N, D, by="tokens")
    with pytest.raises(PlanError, match="distinct"):
        holdout_mask(N[:2], D[:2], by="compute", n_largest=5)


def test_known_law_predicts_held_out_points_within_noise():
    """Data from a known law: the fit on the six smaller budgets predicts the two largest
    within the runs' own scatter, and the prediction interval covers them."""
    N, D, L, L_true = isoflop_grid()
    held = holdout_mask(N, D, by="compute", n_largest=2)
    pred, fitted = check_extrapolation(N, D, L, held, [chinchilla_form(n_starts=400)],
                                       n_boot=40, level=0.95, dataset="synthetic")
    h = pred[pred.split == "held out"]
    log_err = np.log(h.predicted / h.measured)
    assert np.abs(log_err).max() < 4 * NOISE
    assert abs(log_err.mean()) < 2 * NOISE
    # Against the noiseless law the prediction is closer still.
    assert np.abs(np.log(h.predicted.to_numpy() / L_true[held])).max() < 2 * NOISE
    s = summarise(pred).iloc[0]
    # 95% interval; 18 held-out points share one fit's error, so coverage moves in blocks.
    assert s.held_out_interval_coverage >= 0.7
    assert s.held_out_interval_coverage > s.held_out_band_coverage or \
        s.held_out_band_coverage == 1.0
    assert s.n_held_out == 18 and s.n_fit == 54


def test_wrong_form_extrapolates_worse():
    """Kaplan's Eq. 1.5 has no irreducible term: on Chinchilla-form data its held-out error
    exceeds the Chinchilla form's (a check that can fail, not a tautology)."""
    N, D, L, _ = isoflop_grid(seed=1)
    held = holdout_mask(N, D, by="compute", n_largest=2)
    pred, _ = check_extrapolation(N, D, L, held, [chinchilla_form(n_starts=400), kaplan_form()],
                                  references={"refit": BESIROGLU_2024}, n_boot=0)
    s = summarise(pred).set_index("law")
    assert (s.loc["Kaplan form (Eq. 1.5)", "held_out_mean_abs_rel_error"]
            > s.loc["Chinchilla form (Approach 3)", "held_out_mean_abs_rel_error"])
    assert s.loc["refit", "kind"] == "published"


def test_too_few_fit_points():
    N, D, L, _ = isoflop_grid()
    held = (6 * N * D) > 1.1e18  # leaves one budget: 9 points, enough; leave 4 instead
    held[:5] = True
    with pytest.raises(PlanError, match="hold out fewer"):
        check_extrapolation(N, D, L, held, [chinchilla_form(n_starts=50)], n_boot=0)


def test_public_points_extrapolation():
    from scalinglab.fits.public_points import SHIPPED_POINTS, read_points
    p = read_points(SHIPPED_POINTS)
    held = holdout_mask(p.N, p.D, threshold=1e21)
    pred, _ = check_extrapolation(p.N, p.D, p.loss, held, [chinchilla_form(n_starts=300)],
                                  n_boot=0, dataset="public")
    s = summarise(pred).iloc[0]
    assert s.n_held_out == 23
    # Chinchilla's form fitted below 1e21 FLOPs predicts the larger runs to within ~3%.
    assert s.held_out_max_abs_rel_error < 0.04


def test_report_plan_and_figures(tmp_path):
    """The report's plan and both figures build from real planner / extrapolation output."""
    from scalinglab.predict.figures import extrapolation, plan_contours
    from scalinglab.style import save
    from scalinglab.predict.laws import published_laws
    from scalinglab.predict.report import make_plan

    plan = make_plan(64, "H100", 14, 0.4, inference_tokens=1e12)
    assert plan["flops"] == pytest.approx(64 * 989.4e12 * 0.4 * 14 * 86400)
    assert [r["law"] for r in plan["inference_aware"]] == ["Kaplan 2020", "Hoffmann A3",
                                                            "Besiroglu refit"]
    laws = published_laws()
    save(plan_contours(plan, laws[-1], laws), tmp_path / "plan.png")
    N, D, L, _ = isoflop_grid()
    pred, _ = check_extrapolation(N, D, L, holdout_mask(N, D), [chinchilla_form(n_starts=50)],
                                  n_boot=5)
    save(extrapolation(pred, "synthetic"), tmp_path / "ex.png")
    for name in ("plan", "ex"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        assert (tmp_path / f"{name}.pdf").is_file()
