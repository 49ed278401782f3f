"""The plan the report shows: the config's hardware budget under every law, as one JSON object.

`make_plan` is what the rule (and anyone scripting the planner) calls; `scalinglab-plan budget`
prints the same rows.
"""
from __future__ import annotations

from .budget import PlanError, training_flops
from .fitted import load_fitted_law
from .inference import inference_aware_plan
from .laws import published_laws
from .planner import plan_budget


def make_plan(gpus: float, gpu_type: str, days: float, mfu: float, dtype: str = "bf16",
              inference_tokens: float | None = None, fitted_tables=(),
              skip_unusable: bool = False) -> dict:
    """Budget -> {hardware, flops, plans (one per law), inference_aware (laws with a loss)}.

    `skip_unusable`: a fitted table whose law has no allocation (e.g. a degenerate fit on a
    handful of demo runs) is listed under `skipped` with its reason instead of failing the plan.
    """
    laws, skipped = published_laws(), []
    for path in fitted_tables:
        try:
            laws.append(load_fitted_law(path))
        except PlanError as err:
            if not skip_unusable:
                raise
            skipped.append(dict(table=str(path), reason=str(err)))
    hardware = training_flops(gpus, gpu_type, days, mfu, dtype)
    rows = plan_budget(hardware["flops"], laws)
    used = [str(p) for p in fitted_tables if str(p) not in {s["table"] for s in skipped}]
    result = dict(hardware=hardware, flops=hardware["flops"], plans=rows, fitted_tables=used,
                  skipped=skipped)
    if inference_tokens:
        result["inference_tokens"] = float(inference_tokens)
        result["inference_aware"] = inference_rows(laws, rows, inference_tokens)
    return result


def inference_rows(laws, plan_rows, inference_tokens: float, target_loss: float | None = None):
    """Inference-aware sizing for every law with a loss, at `target_loss` or, by default, at the
    loss that law predicts for its own compute-optimal plan (same quality, cheaper lifetime)."""
    return [inference_aware_plan(law, row["loss"] if target_loss is None else target_loss,
                                 inference_tokens)
            for law, row in zip(laws, plan_rows) if law.has_loss]
