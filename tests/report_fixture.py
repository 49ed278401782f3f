"""A small results tree for the reading page: real captions and the demo config, figures drawn
in the project's style (one per section, four-panel ones among them), CSV/JSON tables, the
benchmark files and the verdict fixture (tests/data/verdicts_fixture.csv, the verdict contract).

`build_fixture_page(dest)` writes `dest/results/report/index.html` through the rule's own stage
function and returns its path; the entries mirror what rules/report.smk collects.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from conftest import REPO
from scalinglab.report import report_category

VERDICTS_FIXTURE = REPO / "tests" / "data" / "verdicts_fixture.csv"
CAPTIONS = REPO / "workflow" / "report"


def demo_config() -> dict:
    """config.yaml overridden by the demo config, with the schema's defaults, as Snakemake builds it."""
    from snakemake.utils import update_config, validate

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    update_config(config, yaml.safe_load((REPO / "workflow" / "config" / "demo.yaml").read_text()))
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"), set_default=True)
    return config


def _figure(path: Path, panels: int, seed: int):
    from scalinglab.style import new_figure, save

    rng = np.random.default_rng(seed)
    ncols, nrows = (2, 2) if panels == 4 else (panels, 1)
    fig, axes = new_figure(ncols=ncols, nrows=nrows)
    for i, ax in enumerate(axes.flat):
        x = np.logspace(3, 6, 20)
        ax.loglog(x, 3 * x ** -0.3 * np.exp(rng.normal(0, 0.02, x.size)), "o-", label=f"run {i}")
        ax.set_xlabel("tokens")
        ax.set_ylabel("loss (nats/token)")
        ax.set_title(f"panel {chr(97 + i)}")
    save(fig, path)


# (file under results/, rule, rule file, category, labels, caption file, panels or None for a table)
FIXTURE = [
    ("figures/memory_energy_landscapes.png", "memory_energy_landscapes", "memory", report_category("niu"),
     {"figure": "01 energy landscapes"}, "memory_fig1_energy_landscapes.rst", 4),
    ("figures/memory_data_fraction.png", "memory_data_fraction", "memory", report_category("niu"),
     {"figure": "03 data-fraction curves"}, "memory_fig3_data_fraction.rst", 2),
    ("memory/distance_summary.csv", "memory_distances_figure", "memory", report_category("niu"),
     {"table": "nearest distance against radius"}, "memory_distances_table.rst", None),
    ("figures/memory_question_formation.png", "question_formation_figure", "question_formation",
     report_category("niu"), {"figure": "04 question formation"}, "question_formation_fig4.rst", 2),
    ("tables/question_formation_accuracy.csv", "question_formation_figure", "question_formation",
     report_category("niu"), {"table": "question-formation accuracy"}, "question_formation_accuracy_table.rst", None),
    ("figures/fits_kaplan_power_laws.png", "fits_kaplan_power_laws", "fits", report_category("kaplan"),
     {"figure": "06 power laws (Kaplan Fig. 1)"}, "fits_kaplan_fig1_power_laws.rst", 3),
    ("fits/kaplan_runs.csv", "fits_kaplan_runs", "fits", report_category("kaplan"),
     {"table": "own runs: Kaplan laws"}, "fits_kaplan_table.rst", None),
    ("figures/fits_chinchilla_isoflop.png", "fits_chinchilla_isoflop", "fits", report_category("chinchilla"),
     {"figure": "09 IsoFLOP (Chinchilla Figs. 2-3)"}, "fits_chinchilla_fig3_isoflop.rst", 4),
    ("figures/quantization_scaling.png", "quantization_figure", "quantization", report_category("quantization"),
     {"figure": "12 quantization model"}, "quantization_scaling.rst", 3),
    ("figures/predict_extrapolation_public.png", "predict_figure_extrapolation", "predict",
     report_category("predict"), {"figure": "extrapolation check", "data": "public"},
     "predict_extrapolation.rst", 2),
    ("predict/plan.json", "predict_plan", "predict", report_category("predict"),
     {"table": "compute plan"}, "predict_plan_table.rst", None),
    ("figures/report_expected_loss_bands.png", "report_expected_loss_bands", "report", report_category("health"),
     {"figure": "13 expected-loss bands"}, "report_expected_loss_bands.rst", 1),
]


def _table(path: Path, seed: int):
    rng = np.random.default_rng(seed)
    if path.suffix == ".json":
        path.write_text(json.dumps({"flops": 2.6e23, "budget": {"gpus": 8, "gpu_type": "H100"},
                                    "laws": {"chinchilla": {"N_opt": 5.9e8, "D_opt": 7.4e13}}}))
        return
    # a wide fit table (more columns than a printed page holds: shown transposed) and a narrow one
    ncols = 14 if "kaplan" in path.name else 5
    header = ",".join(["law"] + [f"column_{i}" for i in range(ncols - 1)])
    rows = [",".join([f"law {r}"] + [f"{v:.6g}" for v in rng.lognormal(0, 2, ncols - 1)]) for r in range(4)]
    path.write_text("\n".join([header, *rows]) + "\n")


def build_fixture_page(dest: Path, verdicts: Path | None = VERDICTS_FIXTURE) -> Path:
    from scalinglab.report.stages import report_reading_page

    results = dest / "results"
    entries = []
    for seed, (rel, rule, analysis, category, labels, caption, panels) in enumerate(FIXTURE):
        path = results / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        (_figure(path, panels, seed) if panels else _table(path, seed))
        wildcards = {"dataset": "public"} if "{dataset}" in rel or "extrapolation" in rel else {}
        entries.append(dict(path=str(path), rule=rule, analysis=analysis, category=category,
                            labels=labels, caption=str(CAPTIONS / caption), wildcards=wildcards,
                            params={}))
    bench = results / "benchmarks" / "train"
    bench.mkdir(parents=True, exist_ok=True)
    (bench / "run_a.tsv").write_text(
        "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\tjobid\t"
        "rule_name\twildcards\tparams\tthreads\tcpu_usage\tresources\tinput_size_mb\n"
        "3600.0\t1:00:00\t1\t1\t1\t1\t0\t0\t100\t1800.0\t1\ttrain\t{}\t{}\t8\t100\t"
        "{'gpu': 2, 'mem_mb': 1000}\t1\n")
    (bench / "run_b.tsv").write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\t"
                                     "mean_load\tcpu_time\n1800.0\t0:30:00\t1\t1\t1\t1\t0\t0\t100\t900.0\n")
    config = demo_config()
    methods = dict(flops_convention="6N", fit_params="params_non_embedding", fit_loss="final_val_loss",
                   huber_delta=1e-3, bootstrap_samples=200, interval_level=0.8, approach1_grid=1500,
                   quanta_level=0.95)
    return report_reading_page(
        files=[e["path"] for e in entries], captions=[e["caption"] for e in entries],
        verdicts=[] if verdicts is None else [str(verdicts)], templates=[],
        page=str(results / "report" / "index.html"), entries=entries, config=config,
        configfiles=["config.yaml", "workflow/config/demo.yaml"], data_source=config["data"]["source"],
        benchmarks=str(results / "benchmarks"), benchmark_patterns=None, methods=methods)
