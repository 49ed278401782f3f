"""A config change reruns exactly what it affects (issue 11, group 3).

Every rule passes the config values its stage uses as `params:`, so Snakemake's params trigger
marks exactly the outputs built from a changed value stale. Here: the demo DAG's outputs are
created empty and recorded with `--touch` (metadata without running anything), then one value per
config section changes and the dry run must plan exactly the jobs that use it and their
downstream jobs, no others."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from test_standalone import copy_tracked_files

DEMO = ["--configfile", "workflow/config/demo.yaml"]
FITS_FIGURES = {"fits_chinchilla_fig3_isoflop": 1, "fits_chinchilla_fig4_contours": 1,
                "fits_kaplan_fig1_power_laws": 1, "fits_kaplan_fig2_learning_curves": 1,
                "fits_kaplan_fig4_loss_n_d": 1}
PLAN = {"predict_plan": 1, "predict_plan_figure": 1}  # the plan reads the fitted tables
# The verdicts read every analysis' outputs except the energy landscapes and the plan.
VERDICTS = {"verdicts": 1}
# Muennighoff et al. 2023's R_D* reads the repeated_data and isoflop runs (fits.data_constrained_experiments).
DATA_CONSTRAINED = {"fits_data_constrained_runs": 1, "fits_data_constrained_figure": 1}
AFTER_TRAINING = {"fits_chinchilla_runs": 1, "fits_kaplan_runs": 1, **FITS_FIGURES, **DATA_CONSTRAINED,
                  "memory_distances": 3,
                  "memory_fig2_distances": 1, "memory_fig3_data_fraction": 1, "predict_extrapolation_runs": 1,
                  "predict_extrapolation_figure": 1, "report_expected_loss_bands": 1, **PLAN, **VERDICTS}
# The demo's training runs: data_fraction 1 model x 3 fractions, isoflop 6 x 4 budgets less demo-1k
# at 3e10 (budget_models), kaplan 5 x 3 fractions, repeated_data 1 x 3 fractions x 3 budgets; the
# preflight checks each experiment's settings against the prepared tokens.
RUNS, KAPLAN_RUNS, EXPERIMENTS = 50, 15, 4

CASES = {  # --config value -> {rule: jobs} the dry run plans
    "data={synthetic: {alpha: 0.6}}": {"prepare_data": 1, "train_preflight": EXPERIMENTS, "train": RUNS,
                                       **AFTER_TRAINING},
    "train={grad_clip: 0.5}": {"train_preflight": EXPERIMENTS, "train": RUNS, **AFTER_TRAINING},
    "experiments={kaplan: {train: {max_steps: 100}}}": {
        "train_preflight": 1, "train": KAPLAN_RUNS, "fits_chinchilla_runs": 1, "fits_kaplan_runs": 1,
        **FITS_FIGURES, **PLAN, **VERDICTS},
    "memory={energy: {beta: 2.0}}": {"memory_fig1_energy_landscapes": 1},
    "memory={histogram_bins: 50}": {"memory_distances": 3, "memory_fig2_distances": 1, **VERDICTS},
    "question_formation={train: {max_steps: 100}}": {"question_formation_train": 1, "question_formation_fig4": 1,
                                                     **VERDICTS},
    # the capacity exponent's interval is at fits.interval_level too
    "fits={interval_level: 0.9}": {"fits_chinchilla_public": 1, "fits_chinchilla_runs": 1, "fits_kaplan_runs": 1,
                                   "fits_chinchilla_public_refit": 1, **FITS_FIGURES, **DATA_CONSTRAINED, **PLAN,
                                   "capacity_fit": 1, "capacity_figure": 1, **VERDICTS},
    "quantization={fit: {level: 0.9}}": {"quantization_fit": 1, "quantization_scaling": 1, **VERDICTS},
    "quantization={width_sweep: {steps: 100}}": {"quantization_sweep": 3, "quantization_fit": 1,
                                                 "quantization_scaling": 1, "quantization_subtask_curves": 1,
                                                 **VERDICTS},
    "quantization={subtask_run: {steps: 100}}": {"quantization_subtask_run": 1, "quantization_subtask_curves": 1,
                                                 **VERDICTS},
    "predict={n_boot: 10}": {"predict_extrapolation_public": 1, "predict_extrapolation_runs": 1,
                             "predict_extrapolation_figure": 2, **VERDICTS},
    "predict={plan: {days: 10}}": PLAN,
}

# The reading page shows every figure with its caption (which quotes the config): it is downstream
# of every change.
CASES = {change: {**jobs, "report_reading_page": 1} for change, jobs in CASES.items()}


def snakemake(workdir, *args, timeout=600):
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", *args, *DEMO]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return proc.stdout + proc.stderr


def planned_jobs(out: str) -> dict[str, int]:
    """{rule: count} of a dry run's 'Job stats' table, without `all`."""
    table = out.split("Job stats:", 1)[1].split("total", 1)[0] if "Job stats:" in out else ""
    jobs = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}
    jobs.pop("all", None)
    return jobs


@pytest.fixture(scope="module")
def recorded_demo(tmp_path_factory):
    """A copy of the checkout whose demo outputs exist (empty) with Snakemake's metadata."""
    workdir = copy_tracked_files(tmp_path_factory.mktemp("rerun") / "scalinglab")
    summary = snakemake(workdir, "--summary")
    outputs = [line.split("\t")[0] for line in summary.splitlines() if line.startswith("results/")]
    assert len(outputs) > 100
    for rel in outputs:
        (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
        (workdir / rel).touch()
    snakemake(workdir, "--touch", "--forceall")
    assert "Nothing to be done" in snakemake(workdir, "--dry-run", "--rerun-triggers", "params")
    return workdir


@pytest.mark.e2e  # 12 dry runs of the demo DAG (~5 s CPU each)
@pytest.mark.parametrize("change", list(CASES), ids=[c.split("=")[0] + ":" + c.split(": ")[-1].strip("}") for c in CASES])
def test_a_config_change_reruns_exactly_what_it_affects(recorded_demo, change):
    out = snakemake(recorded_demo, "--dry-run", "--rerun-triggers", "params", "--config", change)
    assert planned_jobs(out) == CASES[change]
