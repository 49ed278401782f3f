"""Rule question_formation_train: a vanilla Transformer on question formation, loss logged every step."""
import json
import sys

import torch

from scalinglab.question_formation.mccoy import load_pairs
from scalinglab.question_formation.train import QFTrainConfig, train_question_formation

log_fh = open(snakemake.log[0], "a")  # noqa: F821 - append: a retried job keeps its history
sys.stderr = sys.stdout = log_fh
qf = snakemake.config["question_formation"]  # noqa: F821
torch.set_num_threads(max(1, int(snakemake.threads)))  # noqa: F821
meta = json.load(open(snakemake.input.meta))  # noqa: F821
cfg = QFTrainConfig(**qf["model"], **qf["train"], seed=qf["seed"])
sets = {"test": load_pairs(snakemake.input.test), "gen": load_pairs(snakemake.input.gen)}  # noqa: F821
fingerprint = ",".join(meta["splits"][s]["sha256"] for s in ("train", "test", "gen"))
train_question_formation(load_pairs(snakemake.input.train), sets,  # noqa: F821
                         snakemake.params.run_dir, cfg,  # noqa: F821
                         log=lambda m: print(m, flush=True), fingerprint=fingerprint)
