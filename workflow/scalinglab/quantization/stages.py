"""One function per rule of workflow/rules/quantization.smk (Michaud et al. 2023), named after the
rule: paths and the config values the rule passes as params in, files out."""
from __future__ import annotations

import logging

import pandas as pd

from ..io import write_csv

log = logging.getLogger("scalinglab.quantization")


def quantization_sweep(*, points: str, sweep: str, alpha: float, n_tasks: int, n_bits: int, k: int,
                       task_seed: int, seed: int, test_per_task: int, device: str, settings: dict,
                       threads: int) -> None:
    """Train one width or data sweep on multitask sparse parity; write its points."""
    import torch

    from .task import SparseParityTask
    from .train import train_data_sweep, train_width_sweep

    torch.set_num_threads(threads)
    task = SparseParityTask(n_tasks, n_bits, k, alpha, seed=task_seed)
    s = settings
    if sweep == "width":
        rows, _ = train_width_sweep(task, s["widths"], s["steps"], s["batch_size"], s["lr"], test_per_task,
                                    seed=seed, log_every=s["log_every"], device=device)
    else:
        rows, _ = train_data_sweep(task, s["sizes"], s["width"], s["max_steps"], s["batch_size"], s["lr"],
                                   s["eval_every"], s["patience"], s["val_size"], test_per_task,
                                   seed=seed, log_every=s["log_every"], device=device)
    table = pd.DataFrame(rows)
    table.insert(0, "sweep", sweep)
    table.insert(1, "alpha", alpha)
    table.insert(2, "n_tasks", task.n_tasks)
    write_csv(table, points)
    log.info("wrote %s: %s", points,
             table[["width", "params", "samples", "loss", "quanta_learned"]].to_dict("records"))


def quantization_fit(*, sweeps: list, points: str, exponents: str, n_tasks: int, min_quanta: float,
                     max_quanta_fraction: float, level: float) -> None:
    """Mark each sweep's fit range and fit its exponent beside the theory."""
    from .fit import fit_sweep_exponents, mark_fit_range

    table = pd.concat([pd.read_csv(p) for p in sweeps], ignore_index=True)
    table = mark_fit_range(table, n_tasks, min_quanta, max_quanta_fraction)
    fitted = fit_sweep_exponents(table, level=level)
    write_csv(table, points)
    write_csv(fitted, exponents)
    print(fitted.to_string(index=False))


def quantization_scaling(*, points: str, exponents: str, png: str, alpha: float) -> None:
    """Figure 12: loss against width and data with fits, exponents against theory."""
    from .figures import scaling

    scaling(pd.read_csv(points), pd.read_csv(exponents), alpha=alpha, png_path=png)
    print(f"wrote {png} and its .pdf")
