"""The training engine: ``train_run(spec)`` (trainer), token batches (data), resume state and
final weights (checkpoint), settings (config), the learning-rate schedule (schedule; shared with
question formation, like the checkpoint store). CLI: ``python -m scalinglab.train --spec spec.json``
(single process, or under ``torchrun --nproc_per_node N`` for DDP)."""
from .checkpoint import load_model
from .config import TrainConfig, merge_train
from .trainer import METRICS_COLUMNS, TrainingError, lr_at, plan_steps, train_run

__all__ = ["load_model", "TrainConfig", "merge_train", "METRICS_COLUMNS", "TrainingError",
           "lr_at", "plan_steps", "train_run"]
