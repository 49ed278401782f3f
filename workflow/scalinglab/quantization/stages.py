"""One function per rule of workflow/rules/quantization.smk (Michaud et al. 2023), named after the
rule: paths and the config values the rule passes as params in, files out."""
from __future__ import annotations

import logging

import pandas as pd

from ..io import write_csv

log = logging.getLogger("scalinglab.quantization")


def quantization_sweep(*, points: str, curves: str, sweep: str, alpha: float, n_tasks: int, n_bits: int,
                       k: int, task_seed: int, seed: int, test_per_task: int, device: str, settings: dict,
                       threads: int) -> None:
    """Train one width or data sweep on multitask sparse parity; write its points and the
    per-subtask learning curves (the test loss of every subtask at each evaluation step)."""
    import torch

    from .task import SparseParityTask
    from .train import train_data_sweep, train_width_sweep

    torch.set_num_threads(threads)
    task = SparseParityTask(n_tasks, n_bits, k, alpha, seed=task_seed)
    s = settings
    if sweep == "width":
        rows, _, curve_rows = train_width_sweep(task, s["widths"], s["steps"], s["batch_size"], s["lr"],
                                                test_per_task, seed=seed, log_every=s["log_every"],
                                                device=device, curve_every=s["curve_every"])
    else:
        rows, _, curve_rows = train_data_sweep(task, s["sizes"], s["width"], s["max_steps"], s["batch_size"],
                                               s["lr"], s["eval_every"], s["patience"], s["val_size"],
                                               test_per_task, seed=seed, log_every=s["log_every"],
                                               device=device)
    table = pd.DataFrame(rows)
    table.insert(0, "sweep", sweep)
    table.insert(1, "alpha", alpha)
    table.insert(2, "n_tasks", task.n_tasks)
    write_csv(table, points)
    columns = ["step", "width" if sweep == "width" else "samples", "task", "frequency", "loss"]
    write_csv(pd.DataFrame(curve_rows, columns=columns).assign(sweep=sweep, alpha=alpha), curves)
    log.info("wrote %s: %s", points,
             table[["width", "params", "samples", "loss", "quanta_learned"]].to_dict("records"))


def quantization_fit(*, sweeps: list, points: str, fits: str, exponents: str, n_tasks: int,
                     min_quanta: float, max_quanta_fraction: float, level: float) -> None:
    """Mark each sweep's fit range, fit its exponent (fits.csv, one row per sweep and alpha) and
    write the table the verdicts read (exponents.csv, one row per alpha; README, "Quantization")."""
    from .fit import exponents_table, fit_sweep_exponents, mark_fit_range

    table = pd.concat([pd.read_csv(p) for p in sweeps], ignore_index=True)
    table = mark_fit_range(table, n_tasks, min_quanta, max_quanta_fraction)
    fitted = fit_sweep_exponents(table, level=level)
    write_csv(table, points)
    write_csv(fitted, fits)
    write_csv(exponents_table(fitted, n_tasks), exponents)
    print(fitted.to_string(index=False))


def quantization_scaling(*, points: str, fits: str, png: str, alpha: float) -> None:
    """Figure 12: loss against width and data with fits, exponents against theory."""
    from .figures import scaling

    scaling(pd.read_csv(points), pd.read_csv(fits), alpha=alpha, png_path=png)
    print(f"wrote {png} and its .pdf")


def quantization_subtask_run(*, curves: str, alpha: float, n_tasks: int, n_bits: int, k: int, task_seed: int,
                             seed: int, test_per_task: int, device: str, settings: dict, threads: int) -> None:
    """One wide MLP on online batches of a task with many bits (long plateaus): the test loss of
    every subtask every `curve_every` steps, the per-subtask learning curves of figure 13."""
    import torch

    from .task import SparseParityTask
    from .train import train_width_sweep

    torch.set_num_threads(threads)
    try:
        task = SparseParityTask(n_tasks, n_bits, k, alpha, seed=task_seed)
    except ValueError as err:  # name the key: n_bits here is quantization.subtask_run.n_bits
        raise ValueError(f"quantization.subtask_run (n_bits={n_bits}): {err}") from None
    s = settings
    _, _, curve_rows = train_width_sweep(task, [s["width"]], s["steps"], s["batch_size"], s["lr"], test_per_task,
                                         seed=seed, log_every=s["log_every"], device=device,
                                         curve_every=s["curve_every"])
    table = pd.DataFrame(curve_rows, columns=["step", "width", "task", "frequency", "loss"])
    write_csv(table.assign(sweep="subtask", alpha=alpha, n_bits=n_bits), curves)
    log.info("wrote %s: %d subtasks, width %d, %d steps", curves, n_tasks, s["width"], s["steps"])


def quantization_subtask_curves(*, curves: str, width_curves: str, png: str, transitions: str, alpha: float,
                                n_bits: int, width_n_bits: int) -> None:
    """Figure 13: per-subtask learning curves of the subtask run (many bits) beside the widest net
    of the main alpha's width sweep (the exponents' task); the transitions of both."""
    from .curves import learning_order, learning_transitions
    from .figures import subtask_curves

    runs = {"subtask_run": (pd.read_csv(curves), n_bits), "width_sweep": (pd.read_csv(width_curves), width_n_bits)}
    for name, (table, _) in runs.items():
        if table.empty:
            raise ValueError(f"quantization ({name}): no per-subtask curves were recorded; set "
                             f"quantization.{'subtask_run' if name == 'subtask_run' else 'width_sweep'}"
                             f".curve_every to a step interval (e.g. 100)")
    subtask_curves(runs, alpha, png)
    found = []
    for name, (table, bits) in runs.items():
        t = learning_transitions(table)
        t.insert(0, "run", name)
        t.insert(1, "n_bits", bits)
        found.append(t)
        print(name, f"n_bits={bits}")
        print(learning_order(t).to_string(index=False))
    write_csv(pd.concat(found, ignore_index=True), transitions)
