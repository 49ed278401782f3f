"""Rule quantization_sweep: train one width or data sweep on multitask sparse parity, write its points."""
import logging
import os
import sys
from pathlib import Path

import pandas as pd
import torch

from scalinglab.quantization.task import SparseParityTask
from scalinglab.quantization.train import train_data_sweep, train_width_sweep


def write(table: pd.DataFrame, path) -> None:
    out = Path(path)
    tmp = out.with_name(f".{out.name}.tmp")
    table.to_csv(tmp, index=False)
    os.replace(tmp, out)


def main(snakemake):
    logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
    q = snakemake.config["quantization"]
    torch.set_num_threads(int(snakemake.threads))
    alpha, sweep = float(snakemake.wildcards.alpha), snakemake.wildcards.sweep
    task = SparseParityTask(q["n_tasks"], q["n_bits"], q["k"], alpha, seed=snakemake.config["seed"])
    seed = snakemake.config["seed"] + q["seed_offset"]
    if sweep == "width":
        w = q["width_sweep"]
        rows, _, curves = train_width_sweep(task, w["widths"], w["steps"], w["batch_size"], w["lr"],
                                            q["test_per_task"], seed=seed, log_every=w["log_every"],
                                            device=q["device"], curve_every=w["curve_every"])
    else:
        d = q["data_sweep"]
        rows, _, curves = train_data_sweep(task, d["sizes"], d["width"], d["max_steps"], d["batch_size"],
                                           d["lr"], d["eval_every"], d["patience"], d["val_size"],
                                           q["test_per_task"], seed=seed, log_every=d["log_every"],
                                           device=q["device"])
    table = pd.DataFrame(rows)
    table.insert(0, "sweep", sweep)
    table.insert(1, "alpha", alpha)
    table.insert(2, "n_tasks", task.n_tasks)
    write(table, snakemake.output.points)
    # Per-subtask learning curves: the test loss of every subtask at each evaluation step.
    write(pd.DataFrame(curves, columns=["step", "width" if sweep == "width" else "samples", "task",
                                        "frequency", "loss"]).assign(sweep=sweep, alpha=alpha),
          snakemake.output.curves)
    logging.info("wrote %s: %s", snakemake.output.points, table[["width", "params", "samples", "loss", "quanta_learned"]].to_dict("records"))


try:
    main(snakemake)  # noqa: F821 (injected by Snakemake)
except ValueError as err:
    sys.exit(f"error: {err}")
