# Helpers shared by the rule files. Only wiring here: the science lives in workflow/scalinglab.
import math
import os
from pathlib import Path

# Every rule file appends the final products it wants `rule all` to build.
ALL_TARGETS = []

RESULTS = "results"

# Every wildcard: a name from the config (schema $defs/name), one path component, never '..'.
NAME = r"[A-Za-z0-9_-][A-Za-z0-9._-]*"


wildcard_constraints:
    experiment=NAME,
    run=NAME,
    checkpoint=NAME,
    dataset="runs|public",
    sweep="width|data",
    alpha=r"[0-9][0-9.e+-]*",

SCRIPTS = "workflow/scripts"
CAPTIONS = "workflow/report"

# report() categories, numbered in reading order (Niu, Kaplan, Hoffmann, Michaud, prediction, run
# health): Snakemake's report menu sorts them as strings. The reading page uses the same order.
from scalinglab.report import report_category


def fraction_label(fraction):
    """The path label of a data fraction: 1.0 -> '1', 0.01 -> '0.01', 0.001 -> '0.001'."""
    return f"{float(fraction):g}"


def budget_label(budget):
    """The path label of a FLOP budget: 3e17 -> '3e17', 1.5e18 -> '1.5e18'."""
    mantissa, exponent = f"{float(budget):.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def subset_json(fraction):
    """Sidecar of the nested training subset at `fraction` (see README, 'File formats')."""
    return f"{RESULTS}/data/subsets/{fraction_label(fraction)}.json"


VAL_JSON = f"{RESULTS}/data/val.json"


def experiment_runs(experiment):
    """All runs of a training experiment as {run_id: spec}; spec has model, fraction, seed, budget.

    Run ids: `{model}_f{fraction}_s{seed}`, or `{model}_C{budget}_f{fraction}_s{seed}` for
    experiments with FLOP budgets (tokens = budget / (6 N), see scalinglab.counting).
    """
    exp = config["experiments"][experiment]
    runs = {}
    budgets = exp.get("budgets") or [None]
    for model in exp["models"]:
        for fraction in exp["fractions"]:
            for seed in exp["seeds"]:
                for budget in budgets:
                    parts = [model]
                    if budget is not None:
                        parts.append(f"C{budget_label(budget)}")
                    parts += [f"f{fraction_label(fraction)}", f"s{seed}"]
                    runs["_".join(parts)] = dict(
                        experiment=experiment,
                        model=model,
                        fraction=float(fraction),
                        seed=int(seed),
                        budget=None if budget is None else float(budget),
                    )
    return runs


def run_dir(experiment, run):
    return f"{RESULTS}/train/{experiment}/{run}"


def run_summaries(experiment):
    """summary.json of every run of an experiment (the inputs of fits and figures)."""
    if experiment not in config["experiments"]:
        return []
    return [f"{run_dir(experiment, run)}/summary.json" for run in experiment_runs(experiment)]


def run_metrics(experiment):
    if experiment not in config["experiments"]:
        return []
    return [f"{run_dir(experiment, run)}/metrics.csv" for run in experiment_runs(experiment)]


def figure(name):
    """A figure target: results/figures/<name>.png (a .pdf is written beside it)."""
    return f"{RESULTS}/figures/{name}.png"
