"""Bring-your-own runs (scalinglab.fits.runs_table): the table's checks, one line per problem;
which analyses its contents identify; and an exported table fed back gives the same fits as the
pipeline frames it came from (synthetic runs from a known Chinchilla law)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalinglab.fits.analysis import chinchilla_runs, kaplan_runs
from scalinglab.fits.checks import FitInputError
from scalinglab.fits.chinchilla import compute_optimal_allocation
from scalinglab.fits.runs import chinchilla_points, kaplan_points, read_learning_curves, read_summaries
from scalinglab.fits.runs_table import (analyses, chinchilla_frames, export_runs_table, kaplan_frames,
                                        normalise, problems, read_runs_table)
from test_fits_runs import LAW, _write_run

FIT = dict(delta=1e-3, n_boot=4, level=0.8, seed=0, n_grid=200, tolerance=0.1)
KAPLAN = dict(n_boot=4, level=0.8, seed=0, tolerance=0.1, n_grid=200)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("train")
    rng = np.random.default_rng(1)
    iso, kap = [], []
    for C in (1e15, 1e16, 1e17):
        N_opt, _ = compute_optimal_allocation(C, LAW)
        for N in N_opt * np.logspace(-0.8, 0.8, 4):
            iso.append(_write_run(root, "isoflop", f"N{N:.0f}_C{C:g}", N, C / (6 * N), budget=C, rng=rng))
    sizes = {1.0: 3e7, 0.1: 3e6, 0.01: 3e5}
    for N in (1e4, 1e5, 1e6):
        for f, size in sizes.items():
            kap.append(_write_run(root, "kaplan", f"N{N:.0f}_f{f:g}", N, 1e7, fraction=f,
                                  data=size if size < 1e7 else None, rng=rng))
    summaries = read_summaries(iso + kap)
    _, metrics = read_learning_curves(iso + kap)
    return iso, kap, sizes, summaries, metrics


def test_exported_table_gives_the_same_fits(pipeline, tmp_path):
    iso, kap, sizes, summaries, metrics = pipeline
    path = tmp_path / "runs.csv"
    export_runs_table(summaries, metrics, subset_tokens=sizes).to_csv(path, index=False)
    table = normalise(read_runs_table(path))
    ran = {r["analysis"]: r["ran"] for r in analyses(table)}
    # The IsoFLOP grid's largest model has one data size: Kaplan's L(D) needs the Kaplan runs alone.
    # Most of these runs pass the 3e7-token subset (17 repeat, 4 do not): too few single-epoch runs
    # to pin the law under R_D*.
    assert ran == {"Approach 3": True, "Approach 1": True, "Approach 2": True, "Kaplan forms": False,
                   "Kaplan L(C_min), L(N, S)": True, "Data-constrained R_D*": False}

    runs = summaries[summaries["fraction"] == summaries["fraction"].max()]
    curves, _ = read_learning_curves(list(runs["path"]))
    want_t, want = chinchilla_runs(chinchilla_points(runs), curves, entropy=None, **FIT)
    final, curves_t, record = chinchilla_frames(table)
    got_t, got = chinchilla_runs(final, curves_t, entropy=None, **FIT)
    for k in ("E", "A", "B", "alpha", "beta"):
        assert got["approach3"]["law"][k] == pytest.approx(want["approach3"]["law"][k], rel=1e-6)
    pd.testing.assert_frame_equal(got_t["allocation"], want_t["allocation"])
    assert [r["analysis"] for r in record if r["ran"]] == ["Approach 3", "Approach 1", "Approach 2"]

    k_final = kaplan_points(read_summaries(kap), sizes)
    _, k_rows = read_learning_curves(kap)
    want_t, _ = kaplan_runs(k_final, k_rows.rename(columns={"val_loss": "loss"}), entropy=None, **KAPLAN)
    final, rows, _ = kaplan_frames(table[table["run"].isin(k_final["run"])])
    got_t, _ = kaplan_runs(final, rows, entropy=None, **KAPLAN)
    cols = ["fit", "parameter", "fitted"]
    pd.testing.assert_frame_equal(got_t["kaplan"][cols], want_t["kaplan"][cols], rtol=1e-6)


def test_final_losses_only_run_approach3_and_kaplan_and_say_why_not_the_rest(pipeline):
    _, kap, sizes, summaries, metrics = pipeline
    table = export_runs_table(summaries, metrics, subset_tokens=sizes)
    last = table.groupby("run").tail(1).drop(columns=["budget", "step", "flops"])
    t = normalise(last)
    ran = {r["analysis"]: r for r in analyses(t)}
    assert ran["Approach 3"]["ran"]
    assert not ran["Approach 1"]["ran"] and "final losses alone" in ran["Approach 1"]["reason"]
    assert not ran["Approach 2"]["ran"] and "no budget column" in ran["Approach 2"]["reason"]
    final, curves, _ = chinchilla_frames(t)
    assert curves == [] and final["C"].isna().all()
    tables, data = chinchilla_runs(final, curves, entropy=None, **FIT)
    assert data["approach1"] is None and data["approach2"] is None
    assert list(tables["allocation"]["fit"].unique()) == ["own runs, Approach 3"]
    assert data["approach3"]["law"]["alpha"] == pytest.approx(LAW.alpha, abs=0.1)
    kaplan_only = normalise(last[last["run"].isin(read_summaries(kap)["run"])])
    assert {r["analysis"]: r["ran"] for r in analyses(kaplan_only)}["Kaplan forms"]
    final, rows, _ = kaplan_frames(kaplan_only)
    assert rows.empty
    k_tables, _ = kaplan_runs(final, rows, entropy=None, **KAPLAN)
    assert {"L(N), pure", "L(D), pure", "L(N, D)"} <= set(k_tables["kaplan"]["fit"])


def _good():
    runs = [dict(run=f"r{i}", params=1e6 * (i + 1), params_convention="non_embedding",
                 tokens=t, loss=3.0 - 0.1 * i - t / 1e9) for i in range(3) for t in (1e7, 2e7)]
    return pd.DataFrame(runs)


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d.drop(columns=["loss"]), "missing column(s) ['loss']"),
    (lambda d: d.assign(params_convention="embedding"), "params_convention ['embedding']"),
    (lambda d: d.assign(tokens=d["tokens"] / 1e9), "tokens below parameters by orders of magnitude"),
    (lambda d: d.assign(loss=d["loss"] * 6), "bits declared as nats"),
    (lambda d: d.assign(loss=-d["loss"]), "loss: non-positive value(s) at line(s) 2"),
    (lambda d: pd.concat([d, d.iloc[[0]]]), "duplicated evaluation(s) (same run and tokens) at line(s) 8"),
    (lambda d: d.assign(params=np.arange(len(d)) + 1e6), "params differs between rows of run(s)"),
    (lambda d: d.assign(tokens=["7e6", "n/a", *d["tokens"].iloc[2:]]),
     "tokens: non-numeric or missing value(s) at line(s) 3"),
    (lambda d: d.assign(budget=[np.nan, -1.0, *[1e18] * (len(d) - 2)]), "budget: non-positive value(s) at line(s) 3"),
])
def test_bad_tables_get_one_line_per_problem(edit, needle):
    assert problems(_good()) == []
    found = problems(edit(_good()))
    assert any(needle in line for line in found), found
    assert all("\n" not in line for line in found)
    with pytest.raises(FitInputError, match="problem"):
        normalise(edit(_good()))


def test_too_few_runs_names_the_skipped_approach():
    t = normalise(_good())
    with pytest.raises(FitInputError, match=r"Approach 3 skipped: 3 single-epoch runs"):
        chinchilla_frames(t)
    with pytest.raises(FitInputError, match=r"Kaplan forms skipped: .* 1 data sizes"):
        kaplan_frames(t)


def test_losses_in_bits_are_converted():
    d = _good().assign(loss=lambda x: x["loss"] / np.log(2))
    assert normalise(d, loss_units="bits")["loss"].max() == pytest.approx(3.0 - 1e7 / 1e9)


def test_stages_on_an_exported_table_write_the_same_fit(pipeline, tmp_path):
    """fits_export_runs_table, then fits_chinchilla_runs with fits.runs.source: table, against the
    same stage on the run directories; the fit records which analyses ran."""
    import json

    from scalinglab.fits.stages import fits_chinchilla_runs, fits_export_runs_table
    from scalinglab.predict.stages import predict_extrapolation_runs

    iso, kap, sizes, _, _ = pipeline
    subsets = []
    for f, n in sizes.items():
        subsets.append(tmp_path / f"subset_{f:g}.json")
        subsets[-1].write_text(json.dumps(dict(fraction=f, tokens=int(n))))
    paths = [str(p) for p in iso + kap]
    fits_export_runs_table(summaries=paths, metrics=[], subsets=[str(p) for p in subsets],
                           table=str(tmp_path / "runs.csv"), n_column="params_non_embedding",
                           loss_column="val_loss")
    common = dict(metrics=[], n_column="params_non_embedding", loss_column="val_loss", huber_delta=1e-3,
                  bootstrap_samples=4, interval_level=0.8, seed=0, approach1_grid=200,
                  irreducible_tolerance=0.1, max_relative_width=1.0)
    fits = {}
    for mode, kwargs in (("pipeline", dict(summaries=paths, runs_table=[])),
                         ("table", dict(summaries=[], runs_table=[str(tmp_path / "runs.csv")]))):
        out = {k: str(tmp_path / f"{mode}_{k}") for k in ("approach3", "allocation", "irreducible",
                                                          "isoflop", "fit")}
        fits_chinchilla_runs(val=[], **kwargs, **out, **common)
        fits[mode] = json.loads(open(out["fit"]).read())
    for k in ("E", "A", "B", "alpha", "beta"):
        assert fits["table"]["approach3"]["law"][k] == pytest.approx(fits["pipeline"]["approach3"]["law"][k],
                                                                     rel=1e-6)
    assert [r["analysis"] for r in fits["table"]["analyses"] if r["ran"]] == ["Approach 3", "Approach 1",
                                                                              "Approach 2"]
    out = {k: str(tmp_path / f"predict_{k}") for k in ("predictions", "summary", "fitted")}
    predict_extrapolation_runs(summaries=[], runs_table=[str(tmp_path / "runs.csv")], n_column="unused",
                               loss="unused", holdout_by="compute", holdout_largest=2, n_starts=20,
                               bootstrap_extra_starts=0, n_boot=4, level=0.8, seed=0, **out)
    assert len(pd.read_csv(out["predictions"])) > 0


def test_workflow_reads_the_table_instead_of_training(repo, pipeline, tmp_path):
    """fits.runs.source: table plans the fits and the held-out check with no data or training job;
    a bad table stops the workflow at parse time with one line per problem."""
    import subprocess
    import sys

    import yaml

    _, _, sizes, summaries, metrics = pipeline
    table = tmp_path / "runs.parquet"
    export_runs_table(summaries, metrics, subset_tokens=sizes).to_parquet(table)
    bad = tmp_path / "bad.csv"
    export_runs_table(summaries, metrics).assign(tokens=lambda d: d["tokens"] / 1e9).to_csv(bad, index=False)

    def dry_run(path):
        cfg = tmp_path / f"{path.stem}.yaml"
        cfg.write_text(yaml.safe_dump({"fits": {"runs": {"source": "table", "table": str(path)}}}))
        cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--dry-run", "--quiet", "rules", "--nolock",
               "--snakefile", str(repo / "Snakefile"), "--configfile", str(repo / "workflow/config/demo.yaml"),
               str(cfg), "--", "fits_chinchilla_runs", "fits_kaplan_runs", "predict_extrapolation_runs",
               "fits_runs_table_analyses"]
        return subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=300)

    good = dry_run(table)
    assert good.returncode == 0, good.stderr[-2000:]
    assert "fits_chinchilla_runs" in good.stdout and "train" not in good.stdout.split()
    assert "fits_runs_table_analyses" in good.stdout
    assert "prepare_data" not in good.stdout
    refused = dry_run(bad)
    assert refused.returncode != 0
    assert "tokens below parameters by orders of magnitude" in refused.stderr + refused.stdout


def test_the_analyses_record_says_what_ran_and_why_the_rest_did_not(pipeline, tmp_path):
    """What the reading page shows for a runs table (rule fits_runs_table_analyses)."""
    from scalinglab.fits.stages import fits_runs_table_analyses

    _, _, sizes, summaries, metrics = pipeline
    finals = export_runs_table(summaries, metrics).groupby("run").tail(1).drop(columns="budget")
    finals.to_csv(tmp_path / "finals.csv", index=False)
    fits_runs_table_analyses(runs_table=[str(tmp_path / "finals.csv")], table=str(tmp_path / "record.csv"))
    record = pd.read_csv(tmp_path / "record.csv").set_index("analysis")
    assert list(record.columns) == ["status", "reason"]
    assert record.loc["Approach 3", "status"] == "ran"
    assert record.loc["Approach 1", "status"] == "skipped"
    assert "final losses alone give no envelope" in record.loc["Approach 1", "reason"]
    assert record.loc["Approach 2", "reason"] == "no budget column: runs are not grouped on nominal FLOP budgets"
    assert record.loc["Data-constrained R_D*", "reason"] == "no unique_tokens or epochs column"
