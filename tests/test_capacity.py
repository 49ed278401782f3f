"""The capacity experiment (Niu et al.'s N = O(D²)): patterns, ladder search, exponent fit, a real run."""
import json
import math

import numpy as np
import pytest
import torch

from scalinglab.capacity import stages
from scalinglab.capacity.fit import REFERENCES, compare_with_references, fit_exponent
from scalinglab.capacity.memorise import TrainSpec, memorise, model_params
from scalinglab.capacity.patterns import PatternSpec, draw_patterns, inputs_and_targets
from scalinglab.capacity.search import CENSORED, ladder_rungs, smallest_memorising


# ---- fit ----------------------------------------------------------------------------------------

def synthetic_brackets(exponent, noise_sd, seed, ratio=1.3):
    """N_true = 3 D^b e^noise on D = 2^5..2^12, bracketed by a geometric ladder 20 * ratio^k."""
    rng = np.random.default_rng(seed)
    d = 2.0 ** np.arange(5, 13)
    n_true = 3 * d ** exponent * np.exp(rng.normal(0, noise_sd, d.size))
    rungs = 20 * ratio ** np.arange(0, 200)
    hi = np.array([rungs[np.searchsorted(rungs, n)] for n in n_true])
    lo = hi / ratio
    return d, lo, hi


@pytest.mark.parametrize("exponent", [1.0, 1.35, 2.0])
def test_fit_recovers_known_exponent_and_interval_covers_it(exponent):
    d, lo, hi = synthetic_brackets(exponent, noise_sd=0.1, seed=3)
    fit = fit_exponent(d, lo, hi, level=0.8, n_boot=400, seed=0)
    assert fit["exponent"] == pytest.approx(exponent, abs=0.06)
    assert fit["lo"] <= exponent <= fit["hi"]
    assert fit["hi"] - fit["lo"] < 0.2  # informative, not a band that covers everything
    assert fit["n_points"] == 8 and fit["level"] == 0.8


def test_fit_interval_coverage_is_near_nominal():
    """Across seeds the 80% interval covers the true exponent in roughly 80% of synthetic data sets."""
    covered = []
    for seed in range(40):
        d, lo, hi = synthetic_brackets(1.5, noise_sd=0.15, seed=100 + seed)
        fit = fit_exponent(d, lo, hi, level=0.8, n_boot=200, seed=seed)
        covered.append(fit["lo"] <= 1.5 <= fit["hi"])
    assert 0.6 <= np.mean(covered) <= 0.97


def test_fit_separates_exponents_one_and_two():
    d, lo, hi = synthetic_brackets(1.0, noise_sd=0.05, seed=1)
    rows = {r["key"]: r for r in compare_with_references(fit_exponent(d, lo, hi, 0.8, 300, 0))}
    assert rows["linear_capacity"]["inside_interval"]
    assert not rows["niu"]["inside_interval"] and not rows["kaplan_overfitting"]["inside_interval"]
    assert rows["niu"]["distance_in_half_widths"] < -3
    assert {r["key"] for r in REFERENCES} == set(rows)
    assert rows["kaplan_overfitting"]["exponent"] == pytest.approx(1.351, abs=1e-3)


def test_fit_rejects_too_few_pattern_counts():
    with pytest.raises(ValueError, match="at least 3"):
        fit_exponent([10, 10, 20], [5, 5, 9], [6, 6, 12], level=0.8, n_boot=10, seed=0)


# ---- search -------------------------------------------------------------------------------------

def mock_ladder(k=12):
    return ladder_rungs([dict(n_layer=1, n_head=1, n_embd=e) for e in range(k, 0, -1)],
                        params_of=lambda s: 100 * s["n_embd"] ** 2)


@pytest.mark.parametrize("needed", [150, 400, 401, 2500, 9000, 14400])
def test_search_picks_smallest_memorising_rung_on_mocked_trainer(needed):
    rungs = mock_ladder()
    assert [r["params"] for r in rungs] == sorted(r["params"] for r in rungs)  # sorted by size
    calls = []

    def trial(rung):
        calls.append(rung["params"])
        return dict(met=rung["params"] >= needed, loss=0.0, cpu_seconds=0.0)

    result = smallest_memorising(rungs, trial)
    expected = next(i for i, r in enumerate(rungs) if r["params"] >= needed)
    assert result["index"] == expected and result["params_hi"] == rungs[expected]["params"]
    assert result["params_lo"] == rungs[expected - 1]["params"] and result["censored"] == ""
    assert len(calls) <= math.ceil(math.log2(len(rungs))) + 1 < len(rungs)
    assert len(set(calls)) == len(calls)  # no rung trained twice


def test_search_reports_censored_ends():
    rungs = mock_ladder()
    above = smallest_memorising(rungs, lambda r: dict(met=False))
    assert above["index"] is None and above["censored"] == "above" and above["params_lo"] == rungs[-1]["params"]
    below = smallest_memorising(rungs, lambda r: dict(met=True))
    assert below["index"] == 0 and below["censored"] == "below" and below["params_hi"] == rungs[0]["params"]


def test_ladder_rejects_equal_sizes_and_missing_keys():
    with pytest.raises(ValueError, match="both have"):
        ladder_rungs([dict(n_layer=1, n_head=1, n_embd=4)] * 2, params_of=lambda s: 7)
    with pytest.raises(ValueError, match="lacks n_head"):
        ladder_rungs([dict(n_layer=1, n_embd=4), dict(n_layer=1, n_head=1, n_embd=8)], params_of=lambda s: 7)


# ---- patterns -----------------------------------------------------------------------------------

def test_patterns_are_separated_nested_and_scored_on_values_only():
    spec = PatternSpec(key_len=4, value_len=2, vocab_size=8, min_key_distance=2)
    big = draw_patterns(100, spec, seed=5)
    small = draw_patterns(40, spec, seed=5)
    assert np.array_equal(big[:40], small)
    keys = big[:, :4]
    dist = (keys[:, None, :] != keys[None, :, :]).sum(-1) + 99 * np.eye(len(keys), dtype=int)
    assert dist.min() >= 2
    x, y = inputs_and_targets(small, spec)
    assert x.shape == y.shape == (40, 5)
    assert (y[:, :3] == -100).all() and (y[:, 3:] >= 0).all()
    assert np.array_equal(y[:, 3:].numpy(), small[:, 4:])
    assert spec.bits_per_pattern == 6.0


def test_patterns_refuse_impossible_separation():
    with pytest.raises(ValueError, match="could not draw"):
        draw_patterns(200, PatternSpec(key_len=2, value_len=1, vocab_size=4, min_key_distance=2), seed=0)
    with pytest.raises(ValueError, match="min_key_distance"):
        PatternSpec(key_len=2, value_len=1, vocab_size=4, min_key_distance=3)


# ---- a real run ---------------------------------------------------------------------------------

def tiny_settings():
    """Keyword arguments of stages.capacity_search, as the rule passes them (a 2-rung ladder)."""
    return dict(patterns=dict(key_len=3, value_len=1, vocab_size=16, min_key_distance=2),
                ladder=[dict(n_layer=1, n_head=1, n_embd=e) for e in (1, 16)],
                train=dict(max_steps=300, lr=0.03, batch_size=64, eval_every=25, warmup_steps=0,
                           stall_evals=4, stall_improvement=0.01),
                criterion_fraction=0.1, param_count="params_total", seed=0, device="cpu")


def test_tiny_real_run_memorises_a_handful_of_patterns():
    torch.set_num_threads(1)  # tiny matrices: more threads only contend
    s = tiny_settings()
    spec = stages.pattern_spec(s["patterns"])
    patterns = draw_patterns(8, spec, seed=0)
    record = memorise(patterns, spec, dict(n_layer=1, n_head=1, n_embd=16),
                      stages.train_spec(s["train"], s["criterion_fraction"]), seed=1)
    assert record["met"] and record["loss"] <= 0.1 * math.log(16) and record["steps"] < 300
    assert record["params"] == model_params(dict(n_layer=1, n_head=1, n_embd=16), spec)


def test_search_stage_on_a_real_ladder(tmp_path):
    """Width 1 cannot store 8 x 4 bits (it stalls); width 16 can: the bracket is (width 1, width 16]."""
    out = tmp_path / "D8.json"
    result = stages.capacity_search(search=str(out), n_patterns=8, **tiny_settings())
    saved = json.loads(out.read_text())
    assert saved["patterns"] == 8 and saved["censored"] == "" and saved["bits"] == 32
    assert saved["params_lo"] < saved["params_hi"] == result["params_hi"]
    assert [t["met"] for t in saved["trials"]] == [False, True]
    assert saved["shape_hi"] == dict(n_layer=1, n_head=1, n_embd=16)


def test_train_spec_rejects_bad_criterion():
    with pytest.raises(ValueError, match="criterion_fraction"):
        TrainSpec(max_steps=10, lr=0.1, batch_size=4, eval_every=1, criterion_fraction=1.5)


def test_local_exponents_show_a_bend():
    from scalinglab.capacity.fit import local_exponents
    d = [10, 100, 1000]
    n = [1000 + 10 * x for x in d]  # a fixed overhead of 1000 parameters, then 10 per pattern
    slopes = [r["exponent"] for r in local_exponents(d, n)]
    assert slopes[0] < slopes[1] < 1 and slopes[1] == pytest.approx(np.log10(11000 / 2000), abs=1e-9)


def test_fit_stage_writes_the_contract(tmp_path):
    """Synthetic search records (one rung up per doubling of D) through the fit and figure stages:
    fit.json carries the contract's keys, the per-run table one row per training, censored D left out."""
    s = tiny_settings()
    ladder = [dict(n_layer=1, n_head=1, n_embd=e) for e in (2, 3, 4, 6, 8, 12, 16, 24, 32)]
    rungs = stages.rungs_of(ladder, s["patterns"], s["param_count"])

    def shape(j):
        return {key: rungs[j][key] for key in ("n_layer", "n_head", "n_embd")}

    paths = []
    for k, d in enumerate([16, 32, 64, 128, 256, 512, 4096]):
        i = None if d == 4096 else k + 1  # 4096 exceeds the ladder
        record = dict(patterns=d, bits=4.0 * d, params_convention="params_total", criterion="c", index=i,
                      params_lo=rungs[-1 if i is None else i - 1]["params"],
                      params_hi=None if i is None else rungs[i]["params"], censored="above" if i is None else "",
                      shape_lo=shape(-1 if i is None else i - 1), shape_hi=None if i is None else shape(i),
                      trials=[dict(name="x", met=True, loss=0.1, cpu_seconds=0.5, rung=0)])
        paths.append(str(tmp_path / f"D{d}.json"))
        (tmp_path / f"D{d}.json").write_text(json.dumps(record))
    out = stages.capacity_fit(searches=paths, fit=str(tmp_path / "fit.json"), runs=str(tmp_path / "runs.csv"),
                              patterns=s["patterns"], train=s["train"], criterion_fraction=0.1,
                              param_count="params_total", level=0.8, bootstrap_samples=200, seed=0)
    saved = json.loads((tmp_path / "fit.json").read_text())
    for key in ("exponent", "lo", "hi", "level", "n_points", "criterion", "points"):
        assert key in saved
    assert saved["n_points"] == 6 and saved["level"] == 0.8 and saved["lo"] <= saved["exponent"] <= saved["hi"]
    assert [p["patterns"] for p in saved["points"]] == [16, 32, 64, 128, 256, 512]
    assert all(p["params_lo"] < p["min_params"] < p["params_hi"] for p in saved["points"])
    assert saved["censored"] == [dict(patterns=4096, censored="above", reason=CENSORED["above"],
                                      params_lo=rungs[-1]["params"], params_hi=None)]
    assert saved["diagnostics"]["other_convention"]["params_convention"] == "params_non_embedding"
    assert saved["diagnostics"]["upper_half"]["n_points"] == 3
    assert out["trainings"] == 7 and len((tmp_path / "runs.csv").read_text().splitlines()) == 8
    stages.capacity_figure(fit=str(tmp_path / "fit.json"), figure=str(tmp_path / "capacity_n_vs_d.png"))
    assert (tmp_path / "capacity_n_vs_d.png").stat().st_size > 10_000


def test_fit_stage_refuses_searches_counted_another_way(tmp_path):
    path = tmp_path / "D8.json"
    path.write_text(json.dumps(dict(patterns=8, params_convention="params_non_embedding", trials=[])))
    s = tiny_settings()
    with pytest.raises(ValueError, match="rerun the searches"):
        stages.capacity_fit(searches=[str(path)], fit=str(tmp_path / "f.json"), runs=str(tmp_path / "r.csv"),
                            patterns=s["patterns"], train=s["train"], criterion_fraction=0.1,
                            param_count="params_total", level=0.8, bootstrap_samples=200, seed=0)
    assert not (tmp_path / "f.json").exists()


def test_adapter_keeps_list_params_intact():
    """The ladder reaches the stage as a list of shape dicts, not their string forms."""
    from types import SimpleNamespace

    from snakemake.iocontainers import Namedlist

    from scalinglab.adapter import stage_arguments

    ladder = [dict(n_layer=1, n_head=1, n_embd=2)]
    smk = SimpleNamespace(input=Namedlist(fromdict={"searches": ["a.json", "b.json"]}),
                          output=Namedlist(fromdict={"fit": "f.json"}),
                          params=Namedlist(fromdict={"ladder": ladder}), threads=1, log=["x.log"], rule="capacity_x")

    def stage(*, searches, fit, ladder):
        pass

    kwargs = stage_arguments(smk, stage)
    assert kwargs["ladder"] == ladder and kwargs["searches"] == ["a.json", "b.json"]


def test_search_stage_names_a_bad_ladder_shape_and_writes_nothing(tmp_path):
    s = tiny_settings()
    s["ladder"] = [dict(n_layer=1, n_head=3, n_embd=16), dict(n_layer=1, n_head=1, n_embd=8)]
    with pytest.raises(ValueError, match="n_embd=16 is not divisible by n_head=3"):
        stages.capacity_search(search=str(tmp_path / "D8.json"), n_patterns=8, **s)
    assert not (tmp_path / "D8.json").exists()


# ---- which points enter the fit: ladder-floor, ladder-ceiling and step-limited censoring -----------

def test_width_scaled_learning_rate():
    spec = TrainSpec(max_steps=10, lr=0.02, batch_size=4, eval_every=1, criterion_fraction=0.1, lr_width=8)
    assert spec.lr_for(8) == pytest.approx(0.02) and spec.lr_for(16) == pytest.approx(0.01)
    assert spec.lr_for(32) == pytest.approx(0.005)
    same = TrainSpec(max_steps=10, lr=0.02, batch_size=4, eval_every=1, criterion_fraction=0.1)
    assert same.lr_for(8) == same.lr_for(32) == 0.02
    with pytest.raises(ValueError, match="lr_width=-1"):
        TrainSpec(max_steps=10, lr=0.02, batch_size=4, eval_every=1, criterion_fraction=0.1, lr_width=-1)


@pytest.mark.parametrize("below, expected", [
    (dict(met=False, stalled=True), ""),        # the failing rung plateaued: a capacity failure
    (dict(met=False, stalled=False), "steps"),  # it ran out of steps while improving: step-limited
])
def test_classify_marks_a_step_limited_bracket(below, expected):
    from scalinglab.capacity.search import classify

    rungs = mock_ladder()

    def trial(rung):
        met = rung["params"] >= 2500
        return dict(met=met, stalled=False, loss=0.0) if met else dict(below, loss=1.0)

    result = classify(smallest_memorising(rungs, trial))
    assert result["censored"] == expected and result["params_lo"] < result["params_hi"]


def test_classify_keeps_the_ladder_end_censoring():
    from scalinglab.capacity.search import classify

    rungs = mock_ladder()
    # every rung fails still improving: the ceiling, not the step budget, is what is reported
    assert classify(smallest_memorising(rungs, lambda r: dict(met=False, stalled=False)))["censored"] == "above"
    assert classify(smallest_memorising(rungs, lambda r: dict(met=True, stalled=False)))["censored"] == "below"


def write_searches(tmp_path, brackets, rungs):
    """Search records {D: (index of the memorising rung or None, censored)} as capacity_search writes them."""
    def shape(j):
        return {key: rungs[j][key] for key in ("n_layer", "n_head", "n_embd")}

    paths = []
    for d, (i, censored) in brackets.items():
        record = dict(patterns=d, bits=4.0 * d, params_convention="params_total", criterion="c", index=i,
                      params_lo=None if i == 0 else rungs[-1 if i is None else i - 1]["params"],
                      params_hi=None if i is None else rungs[i]["params"], censored=censored,
                      shape_lo=None if i == 0 else shape(-1 if i is None else i - 1),
                      shape_hi=None if i is None else shape(i),
                      trials=[dict(name="x", met=True, loss=0.1, cpu_seconds=0.5, rung=0)])
        paths.append(str(tmp_path / f"D{d}.json"))
        (tmp_path / f"D{d}.json").write_text(json.dumps(record))
    return paths


def run_fit(tmp_path, paths):
    s = tiny_settings()
    return stages.capacity_fit(searches=paths, fit=str(tmp_path / "fit.json"), runs=str(tmp_path / "runs.csv"),
                               patterns=s["patterns"], train=s["train"], criterion_fraction=0.1,
                               param_count="params_total", level=0.8, bootstrap_samples=300, seed=0)


@pytest.mark.parametrize("exponent", [1.0, 2.0])
def test_fit_stage_recovers_a_known_exponent_without_the_censored_points(tmp_path, exponent):
    """N_true = k D^b bracketed on a fine real ladder; a floor-censored D, a ceiling-censored D and a
    step-limited D whose bracket sits far off the law are all listed and none moves the exponent."""
    s = tiny_settings()
    ladder = [dict(n_layer=1, n_head=1, n_embd=e) for e in range(4, 200)]
    rungs = stages.rungs_of(ladder, s["patterns"], s["param_count"])
    params = np.array([r["params"] for r in rungs])
    k = 2 * params[0] / 64.0 ** exponent  # N_true(64) = twice the smallest rung
    brackets = {}
    for d in [64, 128, 256, 512, 1024]:
        brackets[d] = (int(np.searchsorted(params, k * d ** exponent)), "")
    brackets[16] = (0, "below")
    brackets[1 << 20] = (None, "above")
    true_2048 = int(np.searchsorted(params, k * 2048 ** exponent))
    brackets[2048] = (max(true_2048 - 40, 1), "steps")  # far below the law: would flatten the slope
    out = run_fit(tmp_path, write_searches(tmp_path, brackets, rungs))
    assert out["n_points"] == 5 and [p["patterns"] for p in out["points"]] == [64, 128, 256, 512, 1024]
    assert {c["patterns"]: c["censored"] for c in out["censored"]} == {16: "below", 2048: "steps", 1 << 20: "above"}
    assert out["exponent"] == pytest.approx(exponent, abs=0.05) and out["lo"] <= exponent <= out["hi"]
    assert out["diagnostics"]["with_step_limited"]["n_points"] == 6
    assert out["diagnostics"]["with_step_limited"]["exponent"] < out["exponent"] - 0.1  # what the rule removes
    assert "step-limited" in " ".join(c["reason"] for c in out["censored"]) and "steps" in out["fit_rule"]
    stages.capacity_figure(fit=str(tmp_path / "fit.json"), figure=str(tmp_path / "capacity_n_vs_d.png"))
    assert (tmp_path / "capacity_n_vs_d.png").stat().st_size > 10_000


def test_fit_stage_with_too_few_capacity_limited_points_gives_no_exponent(tmp_path):
    """Two bracketed D and three censored ones: no exponent is fitted, and every verdict says not identifiable."""
    from scalinglab.verdicts import claims

    s = tiny_settings()
    rungs = stages.rungs_of([dict(n_layer=1, n_head=1, n_embd=e) for e in range(2, 40)], s["patterns"],
                            s["param_count"])
    brackets = {16: (0, "below"), 64: (5, ""), 128: (9, ""), 256: (12, "steps"), 4096: (None, "above")}
    out = run_fit(tmp_path, write_searches(tmp_path, brackets, rungs))
    saved = json.loads((tmp_path / "fit.json").read_text())
    assert math.isnan(saved["exponent"]) and saved["n_points"] == 2 and "need 3" in saved["not_identifiable"]
    assert out["references_inside_interval"] == []
    rows = claims.capacity(tmp_path / "fit.json", claims.Settings())
    assert {r.verdict for r in rows} == {claims.NOT_IDENTIFIABLE} and len(rows) == 3
    assert all("D=256 steps" in r.detail and "no exponent" in r.detail for r in rows)
    stages.capacity_figure(fit=str(tmp_path / "fit.json"), figure=str(tmp_path / "capacity_n_vs_d.png"))
    assert (tmp_path / "capacity_n_vs_d.png").stat().st_size > 10_000


def test_memorise_trains_at_the_width_scaled_rate():
    """The rate the optimiser used is in the record: lr x lr_width / width (one step: cheap)."""
    spec = PatternSpec(key_len=3, value_len=1, vocab_size=16, min_key_distance=2)
    train = TrainSpec(max_steps=1, lr=0.03, batch_size=8, eval_every=1, criterion_fraction=0.1, lr_width=8)
    record = memorise(draw_patterns(8, spec, seed=0), spec, dict(n_layer=1, n_head=1, n_embd=16), train, seed=1)
    assert record["lr"] == pytest.approx(0.015) and record["steps"] == 1
