"""Peak dense FLOP/s per device, for MFU (training) and the compute planner.

``PEAK_FLOPS[key][dtype]`` is the vendor datasheet's *dense* (no structured sparsity) tensor-core
peak of ONE device in FLOP/s. Keys (matched, in this order, as case-insensitive substrings of
``torch.cuda.get_device_name()``):

``"H100 PCIe"``, ``"H100 NVL"``, ``"H100"`` (SXM), ``"H200"``, ``"A100"`` (SXM and PCIe have the same
tensor peak), ``"L40S"``, ``"A10"``, ``"V100"``, ``"RTX 4090"``, and ``"cpu"``.

dtypes: ``"bf16"``, ``"fp16"``, ``"tf32"``, ``"fp32"``. V100 has no bf16: its ``"bf16"`` entry is
the fp16 tensor peak (V100 runs mixed precision in fp16). The ``"cpu"`` entry is a nominal
per-core figure (AVX2 FMA: 32 fp32 FLOP/cycle at 2.5 GHz) multiplied by the core count in
:func:`peak_flops`; CPU MFUs are indicative only.
"""
from __future__ import annotations

import os

T = 1e12
PEAK_FLOPS: dict[str, dict[str, float]] = {
    "H100 PCIe": dict(bf16=756 * T, fp16=756 * T, tf32=378 * T, fp32=51.2 * T),
    "H100 NVL": dict(bf16=835 * T, fp16=835 * T, tf32=418 * T, fp32=60 * T),
    "H100": dict(bf16=989.4 * T, fp16=989.4 * T, tf32=494.7 * T, fp32=66.9 * T),  # SXM
    "H200": dict(bf16=989.4 * T, fp16=989.4 * T, tf32=494.7 * T, fp32=66.9 * T),
    "A100": dict(bf16=312 * T, fp16=312 * T, tf32=156 * T, fp32=19.5 * T),
    "L40S": dict(bf16=362.05 * T, fp16=362.05 * T, tf32=183 * T, fp32=91.6 * T),
    "A10": dict(bf16=125 * T, fp16=125 * T, tf32=62.5 * T, fp32=31.2 * T),
    "V100": dict(bf16=125 * T, fp16=125 * T, tf32=15.7 * T, fp32=15.7 * T),
    "RTX 4090": dict(bf16=165.2 * T, fp16=165.2 * T, tf32=82.6 * T, fp32=82.6 * T),
    "cpu": dict(bf16=80e9, fp16=80e9, tf32=80e9, fp32=80e9),  # per core, nominal
}


def device_key(device_name: str) -> str | None:
    """The PEAK_FLOPS key for a device name (e.g. 'NVIDIA H100 80GB HBM3' -> 'H100'), or None."""
    name = device_name.lower()
    if name == "cpu" or name.startswith("cpu"):
        return "cpu"
    for key in PEAK_FLOPS:
        if key.lower() in name:
            return key
    return None


def peak_flops(device_name: str, dtype: str = "bf16", cpu_cores: int | None = None) -> float | None:
    """Peak dense FLOP/s of one device for `dtype`, or None for a device not in the table."""
    key = device_key(device_name)
    if key is None:
        return None
    if dtype not in PEAK_FLOPS[key]:
        raise ValueError(f"unknown dtype {dtype!r}; choose one of {', '.join(PEAK_FLOPS[key])}")
    peak = PEAK_FLOPS[key][dtype]
    if key == "cpu":
        peak *= cpu_cores or os.cpu_count() or 1
    return peak


def current_device_name(device: str) -> str:
    """Name of a torch device string ('cuda', 'cuda:1', 'cpu') as the table matches it."""
    if device.startswith("cuda"):
        import torch
        return torch.cuda.get_device_name(torch.device(device))
    return "cpu"


def resolve_device(name: str = "auto", where: str = "device") -> "torch.device":
    """The torch device of a `device` setting, the one rule of every trainer and analysis.

    ``auto``: ``cuda:<LOCAL_RANK>`` when CUDA is visible, else ``cpu``. A bare ``cuda`` gets the
    index ``LOCAL_RANK`` (0 outside torchrun), so ``torch.cuda.set_device`` always has one; a CUDA
    device that is not visible is one line naming the setting (`where`).
    """
    import torch

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if name == "auto":
        return torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(f"{where}={name!r} is not a torch device; use auto, cpu, cuda or cuda:<index>") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{where}={name!r} but no CUDA device is visible; use auto or cpu")
        if dev.index is None:
            dev = torch.device(f"cuda:{local_rank}")
    return dev
