"""Stage functions called directly (no Snakemake), and the one adapter every rule runs through."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from scalinglab import adapter
from scalinglab.io import atomic_path, write_csv

ANALYSES = ["data", "train", "memory", "question_formation", "fits", "quantization", "predict", "report", "capacity"]


def rule_names() -> list[str]:
    names = []
    for name in ANALYSES:
        names += re.findall(r"^rule (\w+):", (REPO / "workflow" / "rules" / f"{name}.smk").read_text(), re.M)
    return names


def test_every_rule_has_a_stage_function_named_after_it():
    names = rule_names()
    assert len(names) >= 25
    for rule in names:
        stage = adapter.stage_function(rule)
        assert stage.__name__ == rule and stage.__module__.endswith(".stages"), rule


def test_every_rule_runs_the_one_adapter_script():
    scripts = list((REPO / "workflow" / "scripts").glob("*.py"))
    assert [p.name for p in scripts] == ["stage.py"]
    text = "".join((REPO / "workflow" / "rules" / f"{n}.smk").read_text() for n in ANALYSES)
    assert text.count("script:") == text.count("conda:") == len(rule_names())
    assert text.count("        STAGE\n") == len(rule_names())
    assert "snakemake.config" not in scripts[0].read_text()


class FakeNamedlist(list):
    def __init__(self, **named):
        super().__init__(named.values())
        self._names = {k: None for k in named}
        for k, v in named.items():
            setattr(self, k, v)


def fake_snakemake(tmp_path, rule, **parts):
    return types.SimpleNamespace(rule=rule, input=FakeNamedlist(**parts.get("input", {})),
                                 output=FakeNamedlist(**parts.get("output", {})),
                                 params=FakeNamedlist(**parts.get("params", {})), threads=1,
                                 log=[str(tmp_path / "job.log")])


def test_adapter_turns_a_known_error_into_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # capture the terminal line
    smk = fake_snakemake(tmp_path, "memory_allocation",
                         output=dict(figure=str(tmp_path / "f.png"), table=str(tmp_path / "t.csv")),
                         params=dict(tokens_min=1e9, tokens_max=1e8, anchor_compute=5.76e23))
    with pytest.raises(SystemExit) as stop:
        adapter.run_stage(smk)
    assert stop.value.code == 1
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.startswith("memory_allocation: error: memory.allocation.tokens_min=")
    assert "must be below" in (tmp_path / "job.log").read_text()
    assert not (tmp_path / "t.csv").exists()


def test_adapter_passes_params_as_given_and_paths_as_strings(tmp_path):
    smk = fake_snakemake(tmp_path, "memory_fig1_energy_landscapes", output=dict(figure=tmp_path / "f.png"),
                         params=dict(patterns=[[-2.0, -0.5], [0.2, -0.3]], second_layer_patterns=[[1.0, 1.0]],
                                     beta=1.0, extent=3.0, resolution=20))
    kwargs = adapter.stage_arguments(smk, adapter.stage_function(smk.rule))
    assert kwargs["patterns"] == [[-2.0, -0.5], [0.2, -0.3]] and kwargs["figure"] == str(tmp_path / "f.png")
    adapter.stage_function(smk.rule)(**kwargs)
    assert (tmp_path / "f.png").exists()


def test_adapter_rejects_a_name_used_twice(tmp_path):
    smk = fake_snakemake(tmp_path, "memory_allocation", input=dict(table="a"), output=dict(table="b"))
    with pytest.raises(LookupError, match="reuses a name"):
        adapter.stage_arguments(smk, adapter.stage_function("memory_allocation"))


def test_memory_allocation_stage_writes_figure_and_table(tmp_path):
    from scalinglab.memory.stages import memory_allocation

    memory_allocation(figure=str(tmp_path / "a.png"), table=str(tmp_path / "a.csv"), tokens_min=1e8,
                      tokens_max=1e14, anchor_compute=5.76e23)
    table = pd.read_csv(tmp_path / "a.csv")
    niu = table[table["rule"].str.contains("Niu")]
    assert niu["exponent_N_vs_D"].iloc[0] == pytest.approx(2.0)
    assert (tmp_path / "a.pdf").exists()


def test_memory_figure_draws_the_rule_histogram(tmp_path):
    from scalinglab.memory.distances import histogram_table
    from scalinglab.memory.stages import memory_fig2_distances

    d = np.random.default_rng(0).normal(3.0, 0.2, 500)
    hist = tmp_path / "histogram.csv"
    write_csv(histogram_table(d, bins=17), hist)
    summary = tmp_path / "summary.json"
    stats = {"checkpoint": "c", "label": "c", "available": True, "n_embd": 16, "queries": 500, "mean": 3.0,
             "std": 0.2, "min": 2.0, "max": 4.0, "radius_theoretical": 1.0, "radius_unit_ball": 1.1,
             "fraction_below_radius": 0.0, "quantiles": {"q50": 3.0}, "memories": {"count": 40}}
    summary.write_text(json.dumps(stats))
    memory_fig2_distances(summaries=[str(summary)], histograms=[str(hist)], figure=str(tmp_path / "f.png"),
                          table=str(tmp_path / "t.csv"))
    assert pd.read_csv(tmp_path / "t.csv")["median"].tolist() == [3.0]
    assert (tmp_path / "f.png").stat().st_size > 5_000


def test_quantization_fit_stage(tmp_path):
    from scalinglab.quantization.stages import quantization_fit
    from scalinglab.quantization.theory import loss_after_learning

    n_tasks, alpha = 64, 0.5
    widths = np.array([8, 16, 32, 64, 128, 256])
    n_learned = np.clip(widths / 4.0, 0, n_tasks)
    rows = pd.DataFrame(dict(sweep="width", alpha=alpha, n_tasks=n_tasks, width=widths, params=widths * 10,
                             samples=np.nan, loss=loss_after_learning(n_learned, n_tasks, alpha),
                             quanta_learned=n_learned))
    sweep = tmp_path / "width.csv"
    rows.to_csv(sweep, index=False)
    quantization_fit(sweeps=[str(sweep)], points=str(tmp_path / "p.csv"), fits=str(tmp_path / "f.csv"),
                     exponents=str(tmp_path / "e.csv"), n_tasks=n_tasks, min_quanta=1.0,
                     max_quanta_fraction=0.5, level=0.9)
    assert "in_fit_range" in pd.read_csv(tmp_path / "p.csv")
    exponents = pd.read_csv(tmp_path / "e.csv")
    assert len(exponents) == 1 and exponents["alpha_N"].iloc[0] == pytest.approx(alpha)  # n ∝ N
    assert np.isnan(exponents["alpha_D"].iloc[0])  # no data sweep given
    assert len(pd.read_csv(tmp_path / "f.csv")) == 1


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
