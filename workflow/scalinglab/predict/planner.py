"""The planner's questions, answered under every set of constants at once.

- budget -> plan: FLOPs (or GPUs x type x days x MFU) -> N_opt, D_opt, tokens per parameter, L.
- tokens for a given model size, model size for a given number of tokens (compute-optimal).
- the loss change from model size N1 to N2, each trained on its compute-optimal data.
Rows are plain dicts so the CLI, the JSON output, the figure and the report share them.
"""
from __future__ import annotations

import math

import numpy as np

from .budget import PlanError, check_positive
from .laws import PlanningLaw


def _f(x) -> float:
    return float(np.asarray(x, dtype=float))


def _loss_or_none(law: PlanningLaw, N, D):
    L = _f(law.loss(N, D))
    return L if math.isfinite(L) else None


def plan_budget(flops: float, laws: list[PlanningLaw]) -> list[dict]:
    """One row per law: the compute-optimal model and data for `flops` training FLOPs."""
    C = check_positive("training compute (FLOPs)", flops)
    rows = []
    for law in laws:
        N, D = law.allocate(C)
        rows.append(dict(law=law.name, source=law.source, params_convention=law.params_convention,
                         flops=C, params=_f(N), tokens=_f(D), tokens_per_param=_f(D / N),
                         loss=_loss_or_none(law, N, D), a=law.a, note=law.note))
    return rows


def _inverse_row(law: PlanningLaw, N: float, D: float, C: float) -> dict:
    return dict(law=law.name, params=N, tokens=D, flops=C, tokens_per_param=D / N,
                loss=_loss_or_none(law, N, D), params_convention=law.params_convention)


def tokens_for_params(params: float, laws: list[PlanningLaw]) -> list[dict]:
    """Compute-optimal tokens (and the compute that implies) for a model of `params`."""
    N = check_positive("model size (parameters)", params)
    return [_inverse_row(law, N, _f(law.tokens_for_params(N)), _f(law.compute_for_params(N)))
            for law in laws]


def params_for_tokens(tokens: float, laws: list[PlanningLaw]) -> list[dict]:
    """Compute-optimal model size (and the compute that implies) for `tokens` of data."""
    D = check_positive("training tokens", tokens)
    return [_inverse_row(law, _f(law.params_for_tokens(D)), D, _f(law.compute_for_tokens(D)))
            for law in laws]


def loss_change(params_from: float, params_to: float, laws: list[PlanningLaw]) -> list[dict]:
    """What going from N1 to N2 parameters buys, each at its compute-optimal data."""
    N1 = check_positive("--from model size", params_from)
    N2 = check_positive("--to model size", params_to)
    rows = []
    for law in laws:
        D1, D2 = _f(law.tokens_for_params(N1)), _f(law.tokens_for_params(N2))
        C1, C2 = _f(law.compute_for_params(N1)), _f(law.compute_for_params(N2))
        L1, L2 = _loss_or_none(law, N1, D1), _loss_or_none(law, N2, D2)
        rows.append(dict(law=law.name, params_from=N1, params_to=N2, tokens_from=D1, tokens_to=D2,
                         flops_from=C1, flops_to=C2, compute_ratio=C2 / C1,
                         loss_from=L1, loss_to=L2,
                         loss_change=None if L1 is None else L2 - L1,
                         params_convention=law.params_convention))
    return rows


def require_loss(law: PlanningLaw) -> PlanningLaw:
    if not law.has_loss:
        raise PlanError(f"law {law.name!r} gives an allocation only, no L(N, D); pick one of the "
                        f"parametric laws for loss targets")
    return law
