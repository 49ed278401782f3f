"""Hardware budget -> training FLOPs: GPUs x peak FLOP/s x MFU x seconds.

The peak table is the trainer's (:mod:`scalinglab.devices`), so a plan and a measured MFU speak
of the same peak. Every check raises :class:`PlanError` with one line that names the bad value.
"""
from __future__ import annotations

import math

from ..devices import PEAK_FLOPS, device_key

SECONDS_PER_DAY = 24 * 3600


class PlanError(ValueError):
    """Bad planner input (budget, device, MFU, fitted table): one line naming the value and fix."""


def known_gpu_types() -> list[str]:
    """GPU types the planner accepts: the device table's keys, the nominal CPU entry excluded."""
    return [key for key in PEAK_FLOPS if key != "cpu"]


def check_positive(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise PlanError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise PlanError(f"{name} must be a finite number > 0, got {value:g}")
    return value


def gpu_peak_flops(gpu_type: str, dtype: str = "bf16") -> tuple[str, float]:
    """(table key, dense peak FLOP/s of one device) for a GPU name such as 'A100' or 'h100 sxm'."""
    key = device_key(str(gpu_type))
    if key is None or key == "cpu":
        raise PlanError(f"unknown GPU type {gpu_type!r}; known: {', '.join(known_gpu_types())}")
    if dtype not in PEAK_FLOPS[key]:
        raise PlanError(f"unknown dtype {dtype!r} for {key}; known: {', '.join(PEAK_FLOPS[key])}")
    return key, PEAK_FLOPS[key][dtype]


def training_flops(gpus: float, gpu_type: str, days: float, mfu: float,
                   dtype: str = "bf16") -> dict:
    """The FLOPs a cluster delivers: C = gpus x peak x MFU x days x 86,400 s.

    MFU (model FLOPs utilisation, PaLM's definition) is the fraction of the dense peak the model's
    6ND arithmetic actually reaches; 0.3-0.5 is typical of well-tuned dense training.
    """
    gpus = check_positive("number of GPUs", gpus)
    days = check_positive("days", days)
    try:
        mfu = float(mfu)
    except (TypeError, ValueError):
        raise PlanError(f"MFU must be a number in (0, 1], got {mfu!r}") from None
    if not (0 < mfu <= 1):
        raise PlanError(f"MFU must lie in (0, 1], got {mfu:g}; e.g. 0.4 for 40% of peak")
    key, peak = gpu_peak_flops(gpu_type, dtype)
    flops = gpus * peak * mfu * days * SECONDS_PER_DAY
    return dict(gpus=gpus, gpu_type=key, dtype=dtype, peak_flops_per_gpu=peak, mfu=mfu,
                days=days, flops=flops)
