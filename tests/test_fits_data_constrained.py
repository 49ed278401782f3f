"""Data-constrained scaling (Muennighoff et al. 2023): effective data and parameters, the fit of
R_D* (recovered from synthetic losses with a known value; refused without repetition) and the
data-constrained plan."""
from __future__ import annotations

import numpy as np
import pytest

from scalinglab.fits.checks import FitInputError
from scalinglab.fits.chinchilla import compute_optimal_allocation
import pandas as pd

from scalinglab.fits.chinchilla import chinchilla_loss
from scalinglab.fits.data_constrained import (data_constrained_loss, effective_data, effective_params,
                                              fit_half_life_on_runs, fit_repetition_half_life,
                                              optimal_params_for_data, plan_data_constrained,
                                              r_n_identified)
from scalinglab.fits.published import HOFFMANN_2022, ChinchillaLaw


def test_effective_data_is_the_data_until_it_repeats_then_saturates():
    U = 1e9
    assert effective_data(U, 0.5e9, 15.4) == pytest.approx(0.5e9)
    assert effective_data(U, U, 15.4) == pytest.approx(U)
    # Four epochs (R = 3) are worth almost as much as fresh data: 3 * exp-decay factor.
    assert effective_data(U, 4 * U, 15.4) == pytest.approx(U + U * 15.4 * (1 - np.exp(-3 / 15.4)))
    assert effective_data(U, 4 * U, 15.4) / (4 * U) > 0.9
    # Far beyond R_D*, more epochs add (almost) nothing: D' -> U (1 + R_D*).
    assert effective_data(U, 1000 * U, 15.4) == pytest.approx(U * 16.4, rel=1e-3)


def test_effective_params_count_less_beyond_the_optimal_size_for_the_unique_data():
    U = 1e9
    U_N = optimal_params_for_data(U, HOFFMANN_2022)
    C = 6 * U_N * U  # the compute at which U is the optimal data: N_opt(C) must be U_N
    N_opt, D_opt = compute_optimal_allocation(C, HOFFMANN_2022)
    assert (N_opt, D_opt) == pytest.approx((U_N, U), rel=1e-9)
    assert effective_params(U_N / 2, U, HOFFMANN_2022, 5.3) == pytest.approx(U_N / 2)
    big = effective_params(100 * U_N, U, HOFFMANN_2022, 5.3)
    assert big == pytest.approx(U_N * (1 + 5.3 * (1 - np.exp(-99 / 5.3))))
    assert effective_params(100 * U_N, U, HOFFMANN_2022, None) == 100 * U_N


def _runs(R_true, rng, noise=0.002):
    N, D, U = [], [], []
    for n in (1e8, 3e8, 1e9):
        for u in (1e9, 4e9, 2e10):
            for epochs in (1, 2, 4, 8, 16, 40):
                N.append(n), U.append(u), D.append(u * epochs)
    N, D, U = map(np.asarray, (N, D, U))
    L = data_constrained_loss(N, D, U, HOFFMANN_2022, R_true) * np.exp(rng.normal(0, noise, N.size))
    return N, D, U, L


@pytest.mark.parametrize("R_true", [4.0, 15.4])
def test_fit_recovers_a_known_half_life(R_true):
    N, D, U, L = _runs(R_true, np.random.default_rng(0))
    fit = fit_repetition_half_life(N, D, U, L, HOFFMANN_2022, n_boot=30, seed=1)
    assert fit.R_D_star == pytest.approx(R_true, rel=0.15)
    assert fit.lo <= R_true <= fit.hi
    assert fit.n_repeated == np.sum(D > U)


def test_fit_refuses_runs_that_repeat_nothing():
    N, D, U, L = _runs(15.4, np.random.default_rng(0))
    once = D <= U
    with pytest.raises(FitInputError, match=r"^data-constrained fit: 0 of 9 runs repeat data .*add runs"):
        fit_repetition_half_life(N[once], D[once], U[once], L[once], HOFFMANN_2022, n_boot=5)


def test_plan_with_plenty_of_data_is_the_chinchilla_plan_and_scarce_data_costs_loss():
    C = 5.76e23  # Chinchilla's budget: D_opt ~ 1.5T tokens under Hoffmann's law
    N_free, D_free = compute_optimal_allocation(C, HOFFMANN_2022)
    rich = plan_data_constrained(C, 100 * D_free, HOFFMANN_2022)
    assert rich["params"] == pytest.approx(N_free, rel=0.02)
    assert rich["epochs"] < 1 and rich["loss_penalty"] == pytest.approx(0, abs=1e-6)
    poor = plan_data_constrained(C, D_free / 10, HOFFMANN_2022)
    assert poor["epochs"] > 1 and poor["loss_penalty"] > 0
    # Excess parameters decay faster than repeated data (R_N* < R_D*): with scarce data the compute
    # goes to epochs, a smaller model trained on more tokens (Muennighoff et al. 2023, Fig. 3).
    assert poor["params"] < N_free and poor["tokens"] > D_free
    fewer = plan_data_constrained(C, D_free / 100, HOFFMANN_2022)
    assert fewer["loss_penalty"] > poor["loss_penalty"]
    with pytest.raises(FitInputError, match="unique tokens"):
        plan_data_constrained(C, -1.0, HOFFMANN_2022)


def test_plan_cli_answers_the_unique_token_question(capsys):
    import json

    from scalinglab.predict.cli import main

    assert main(["budget", "--flops", "5.76e23", "--unique-tokens", "3e11", "--json"]) == 0
    [dc] = json.loads(capsys.readouterr().out)["data_constrained"]
    assert dc.pop("law") == "Hoffmann A3 + Muennighoff 2023"
    assert dc == pytest.approx(plan_data_constrained(5.76e23, 3e11, HOFFMANN_2022))
    assert dc["epochs"] > 4 and dc["loss_penalty"] > 0
    assert main(["budget", "--flops", "5.76e23", "--unique-tokens", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unique tokens 0 must be positive" in err


def test_half_life_from_a_runs_table_with_unique_tokens():
    """A bring-your-own table with unique_tokens: the law from its single-epoch runs, then R_D*."""
    import pandas as pd

    from scalinglab.fits.published import ChinchillaLaw
    from scalinglab.fits.runs_table import normalise, repetition_points
    from scalinglab.fits.data_constrained import fit_half_life_on_runs

    law = ChinchillaLaw(E=0.8, A=60.0, B=300.0, alpha=0.35, beta=0.35)
    rng = np.random.default_rng(3)
    rows = []
    for n in np.logspace(4, 6, 5):
        for d in np.logspace(6, 8, 4):
            rows.append(dict(run=f"n{n:.0f}_d{d:.0f}", params=n, tokens=d, unique_tokens=d))
        for u in (1e6, 1e7):
            for epochs in (2, 4, 8, 16, 40):
                rows.append(dict(run=f"n{n:.0f}_u{u:.0f}_e{epochs}", params=n, tokens=u * epochs, unique_tokens=u))
    t = pd.DataFrame(rows).assign(params_convention="non_embedding")
    t["loss"] = data_constrained_loss(t["params"], t["tokens"], t["unique_tokens"], law, 8.0) * np.exp(
        rng.normal(0, 0.001, len(t)))
    points = repetition_points(normalise(t))
    fitted_law, fit = fit_half_life_on_runs(points, n_boot=20)
    assert fitted_law.alpha == pytest.approx(0.35, abs=0.05)
    assert fit.R_D_star == pytest.approx(8.0, rel=0.25) and fit.lo <= 8.0 <= fit.hi
    with pytest.raises(FitInputError, match="no unique_tokens or epochs column"):
        repetition_points(normalise(t.drop(columns="unique_tokens")))


def test_stage_writes_the_half_life_beside_the_published_value(tmp_path, capsys):
    import json

    import pandas as pd

    from scalinglab.fits.published import ChinchillaLaw
    from scalinglab.fits.runs_table import analyses, normalise
    from scalinglab.fits.stages import fits_data_constrained_runs

    law = ChinchillaLaw(E=0.8, A=60.0, B=300.0, alpha=0.35, beta=0.35)
    rows = [dict(run=f"n{n:.0f}_u{u:.0f}_e{e}", params=n, tokens=u * e, epochs=e)
            for n in np.logspace(4, 6, 4) for u in (1e6, 1e7, 1e8) for e in (1, 3, 10, 30)]
    t = pd.DataFrame(rows).assign(params_convention="total")
    t["loss"] = data_constrained_loss(t["params"], t["tokens"], t["tokens"] / t["epochs"], law, 15.4)
    t.to_csv(tmp_path / "runs.csv", index=False)
    ran = {r["analysis"]: r for r in analyses(normalise(t))}
    assert ran["Data-constrained R_D*"]["ran"], ran["Data-constrained R_D*"]["reason"]
    fits_data_constrained_runs(summaries=[], runs_table=[str(tmp_path / "runs.csv")],
                               fit=str(tmp_path / "fit.json"), table=str(tmp_path / "table.csv"),
                               points=str(tmp_path / "points.csv"), n_column="params_non_embedding",
                               loss_column="val_loss", huber_delta=1e-3, bootstrap_samples=10,
                               interval_level=0.8, seed=0)
    fit = json.loads((tmp_path / "fit.json").read_text())
    assert fit["R_D_star"] == pytest.approx(15.4, rel=0.05) and fit["published_R_D_star"] == 15.4
    from scalinglab.predict.cli import main

    capsys.readouterr()  # the stage's printed table
    assert main(["budget", "--flops", "1e15", "--unique-tokens", "1e7", "--json",
                 "--data-constrained-fit", str(tmp_path / "fit.json")]) == 0
    published, fitted = json.loads(capsys.readouterr().out)["data_constrained"]
    # Four sizes repeat each U, some above U_N: R_N* is identified and fitted; the losses were made
    # with no penalty on excess parameters (R_N* = infinity), so it runs to its upper bound.
    assert fit["R_N_identified"] and fit["R_N_star"] > 100
    assert fitted["R_D_star"] == fit["R_D_star"] and fitted["R_N_star"] == fit["R_N_star"]
    assert main(["budget", "--flops", "1e15", "--unique-tokens", "1e7",
                 "--data-constrained-fit", str(tmp_path / "table.csv")]) == 2
    assert "not a data-constrained fit" in capsys.readouterr().err
    assert pd.read_csv(tmp_path / "table.csv")["parameter"].tolist() == ["R_D_star", "R_N_star", "E", "A",
                                                                         "B", "alpha", "beta"]
    once = normalise(t[t["epochs"] == 1])
    assert "0 runs repeat data" in {r["analysis"]: r for r in analyses(once)}["Data-constrained R_D*"]["reason"]


# The demo's single-epoch law at demo-2k (fits_data_constrained_runs on the demo, rounded).
DEMO_LAW = ChinchillaLaw(E=1.203, A=145.0, B=7967.0, alpha=1.677, beta=0.942)


def _one_size_runs(R_true, noise=0.002, seed=0):
    """Runs at one model size like the demo's repeated_data + isoflop: single-epoch runs at six
    token counts, repeated runs of two unique-token budgets at three (2.8 to 58 epochs)."""
    rng = np.random.default_rng(seed)
    rows = [dict(N=1908.0, D=d, U=3.8e6) for d in (1.05e5, 1.75e5, 2.6e5, 4.4e5, 6.6e5, 1.3e6)]
    rows += [dict(N=1908.0, D=d, U=u) for u in (1.14e4, 3.8e4) for d in (1.05e5, 2.6e5, 6.6e5)]
    p = pd.DataFrame(rows)
    p["L"] = data_constrained_loss(p["N"], p["D"], p["U"], DEMO_LAW, R_true) * np.exp(
        rng.normal(0, noise, len(p)))
    p["repeats"] = p["D"] > p["U"]
    return p


@pytest.mark.parametrize("R_true", [3.85, 15.4])
def test_half_life_at_one_model_size_is_recovered_and_R_N_star_is_not_identified(R_true):
    law, fit = fit_half_life_on_runs(_one_size_runs(R_true), n_boot=30, seed=2)
    assert fit.R_D_star == pytest.approx(R_true, rel=0.2)
    assert fit.lo <= R_true <= fit.hi and fit.n_repeated == 6
    # One size: the law's E + A/N^alpha is one constant, its prediction at N exact.
    assert float(chinchilla_loss(1908.0, 4.4e5, law)) == pytest.approx(
        float(chinchilla_loss(1908.0, 4.4e5, DEMO_LAW)), rel=0.01)
    assert fit.R_N_star is None and fit.R_N_reason.startswith("R_N* not identified: ")
    assert "at most 1 model size(s)" in fit.R_N_reason


def test_half_life_refuses_too_few_single_epoch_runs_in_one_line():
    p = _one_size_runs(15.4)
    few = p[p["repeats"] | (p["D"] < 3e5)]  # 3 single-epoch runs at the one size
    with pytest.raises(FitInputError) as err:
        fit_half_life_on_runs(few, n_boot=2)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("data-constrained fit: 3 single-epoch runs at 1 model size")
    assert "needs >= 5" in msg and "add runs of at most one epoch" in msg
    once = p[~p["repeats"]].assign(repeats=False)
    with pytest.raises(FitInputError, match=r"^data-constrained fit: 0 of 6 runs repeat data"):
        fit_half_life_on_runs(once, n_boot=2)


def test_single_epoch_runs_at_other_sizes_do_not_enter_the_law():
    p = _one_size_runs(8.0)
    # Another size's single-epoch runs, with losses off any law: R_D* must not move.
    other = pd.DataFrame(dict(N=50000.0, D=[1e5, 3e5, 1e6], U=3.8e6, L=[3.0, 0.5, 2.0], repeats=False))
    base = fit_half_life_on_runs(p, n_boot=0)[1].R_D_star
    assert fit_half_life_on_runs(pd.concat([p, other]), n_boot=0)[1].R_D_star == pytest.approx(base)


def test_R_N_star_is_identified_and_recovered_with_sizes_beyond_the_optimal_one():
    law = ChinchillaLaw(E=0.8, A=60.0, B=300.0, alpha=0.35, beta=0.35)
    rng = np.random.default_rng(5)
    U_N = float(optimal_params_for_data(1e7, law))
    sizes = U_N * np.array([0.3, 1.0, 3.0, 10.0, 30.0])
    # Single-epoch runs on a large corpus (U = 1e12: every size is below its U_N, nothing is
    # discounted), repeated ones on U = 1e7, where the three largest sizes exceed U_N.
    rows = [dict(N=n, D=d, U=1e12) for n in sizes for d in np.logspace(6, 9, 4)]
    rows += [dict(N=n, D=1e7 * e, U=1e7) for n in sizes for e in (2, 5, 12, 30)]
    p = pd.DataFrame(rows)
    p["L"] = data_constrained_loss(p["N"], p["D"], p["U"], law, 8.0, 3.0) * np.exp(
        rng.normal(0, 0.0005, len(p)))
    p["repeats"] = p["D"] > p["U"] * (1 + 1e-9)
    identified, why = r_n_identified(p["N"], p["D"], p["U"], law, p["N"])
    assert identified and "5 model sizes repeat" in why
    _, fit = fit_half_life_on_runs(p, n_boot=8, seed=1)
    assert fit.R_D_star == pytest.approx(8.0, rel=0.25)
    assert fit.R_N_star == pytest.approx(3.0, rel=0.3)
    assert fit.R_N_lo <= fit.R_N_star <= fit.R_N_hi
    # The same runs at sizes all below U_N leave R_N* unidentified.
    small = p[p["N"] < U_N * 0.9]
    assert not r_n_identified(small["N"], small["D"], small["U"], law, small["N"])[0]


def _summary(tmp_path, run, N, tokens, U, loss, best=None):
    import json

    d = tmp_path / "train" / run
    d.mkdir(parents=True)
    s = dict(run=run, model="demo-2k", fraction=U / 3.8e6, seed=0, budget=6 * N * tokens, tokens=tokens,
             steps=int(tokens // 256), flops=6 * N * tokens, final_train_loss=loss, final_val_loss=loss,
             best_val_loss=loss if best is None else best, params_total=N * 3, params_non_embedding=N,
             params_with_head=N * 2, train_tokens_available=U)
    (d / "summary.json").write_text(json.dumps(s))
    return str(d / "summary.json")


def test_stages_on_the_pipelines_runs_write_the_fit_the_figure_and_its_verdict(tmp_path):
    import json

    from scalinglab.fits.stages import fits_data_constrained_figure, fits_data_constrained_runs
    from scalinglab.verdicts.claims import Settings, repeated_data_half_life

    p = _one_size_runs(15.4, noise=0.0005)
    paths = [_summary(tmp_path, f"r{i}", r.N, r.D, r.U, r.L) for i, r in p.iterrows()]
    out = {k: str(tmp_path / f"{k}.{ext}") for k, ext in (("fit", "json"), ("table", "csv"), ("points", "csv"))}
    fits_data_constrained_runs(summaries=paths, runs_table=[], **out, n_column="params_non_embedding",
                               loss_column="val_loss", huber_delta=1e-3, bootstrap_samples=20,
                               interval_level=0.8, seed=0)
    fit = json.loads((tmp_path / "fit.json").read_text())
    assert fit["source"] == "the pipeline's runs" and fit["n_repeated"] == 6
    assert fit["lo"] <= 15.4 <= fit["hi"] and not fit["R_N_identified"]
    points = pd.read_csv(tmp_path / "points.csv")
    assert points["predicted"].to_numpy() == pytest.approx(points["L"].to_numpy(), rel=0.01)
    fits_data_constrained_figure(fit=out["fit"], points=out["points"], figure=str(tmp_path / "f.png"))
    assert (tmp_path / "f.png").stat().st_size > 10_000 and (tmp_path / "f.pdf").exists()
    rows = {r.claim_id: r for r in repeated_data_half_life(out["fit"], Settings())}
    assert rows["muennighoff_R_D_star"].verdict == "reproduced"
    assert rows["muennighoff_R_N_star"].verdict == "not identifiable"
