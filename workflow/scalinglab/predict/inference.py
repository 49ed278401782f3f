"""Inference-aware sizing (Sardana et al. 2023, "Beyond Chinchilla-Optimal").

A model that will serve D_inf tokens costs 6 N D to train and 2 N D_inf to serve (forward pass
only). For a target loss l, every N above the size whose loss floor is l has one D(N) with
L(N, D(N)) = l; the lifetime cost 6 N D(N) + 2 N D_inf is minimised over N. With D_inf = 0 this
is the Chinchilla-optimal model for that loss; as D_inf grows the optimum moves to smaller models
trained on more tokens (as LLaMA did).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..fits.chinchilla import FLOPS_PER_PARAM_TOKEN
from .budget import PlanError, check_positive
from .laws import PlanningLaw
from .planner import require_loss

INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0  # one forward pass (Sardana et al. 2023, Sec. 2)
_HUGE_TOKENS = 1e40  # "infinite data": the loss floor of a model size


def _loss(law, N, D) -> float:
    return float(law.loss(N, D))


def tokens_for_loss(law: PlanningLaw, params: float, target_loss: float) -> float:
    """D with L(N, D) = target (L falls monotonically in D); inf if N cannot reach the target."""
    if _loss(law, params, _HUGE_TOKENS) >= target_loss:
        return math.inf
    f = lambda logD: _loss(law, params, math.exp(logD)) - target_loss  # noqa: E731
    lo = math.log(1.0)
    if f(lo) < 0:
        return 1.0
    return math.exp(brentq(f, lo, math.log(_HUGE_TOKENS), xtol=1e-10))


def min_params_for_loss(law: PlanningLaw, target_loss: float) -> float:
    """The smallest model whose infinite-data loss is below the target."""
    f = lambda logN: _loss(law, math.exp(logN), _HUGE_TOKENS) - target_loss  # noqa: E731
    lo, hi = math.log(1.0), math.log(1e20)
    if f(hi) >= 0:
        raise PlanError(f"target loss {target_loss:g} is below what {law.name} reaches with "
                        f"1e20 parameters and unlimited data; choose a higher target")
    if f(lo) < 0:
        return 1.0
    return math.exp(brentq(f, lo, hi, xtol=1e-12))


def lifetime_flops(params: float, train_tokens: float, inference_tokens: float) -> float:
    return (FLOPS_PER_PARAM_TOKEN * params * train_tokens
            + INFERENCE_FLOPS_PER_PARAM_TOKEN * params * inference_tokens)


def inference_aware_plan(law: PlanningLaw, target_loss: float, inference_tokens: float) -> dict:
    """The (N, D) that reaches `target_loss` at least lifetime FLOPs, next to the
    Chinchilla-optimal (training-only) model for the same loss."""
    require_loss(law)
    target = check_positive("target loss", target_loss)
    if not (inference_tokens >= 0 and math.isfinite(inference_tokens)):
        raise PlanError(f"inference tokens must be a finite number >= 0, got {inference_tokens:g}")
    N_min = min_params_for_loss(law, target)

    def best(d_inf: float) -> tuple[float, float]:
        cost = lambda logN: math.log(lifetime_flops(  # noqa: E731
            math.exp(logN), tokens_for_loss(law, math.exp(logN), target), d_inf))
        lo = math.log(N_min) + 1e-9
        # The cost diverges at N_min (infinite data) and grows like N far above it; six decades
        # of headroom hold the optimum for any realistic target.
        res = minimize_scalar(cost, bounds=(lo, lo + math.log(1e6)), method="bounded",
                              options=dict(xatol=1e-7))
        N = math.exp(res.x)
        return N, tokens_for_loss(law, N, target)

    N_inf, D_inf_train = best(inference_tokens)
    N_ch, D_ch = best(0.0)
    return dict(
        law=law.name, target_loss=target, inference_tokens=float(inference_tokens),
        params=N_inf, tokens=D_inf_train, tokens_per_param=D_inf_train / N_inf,
        train_flops=FLOPS_PER_PARAM_TOKEN * N_inf * D_inf_train,
        lifetime_flops=lifetime_flops(N_inf, D_inf_train, inference_tokens),
        chinchilla_params=N_ch, chinchilla_tokens=D_ch, chinchilla_tokens_per_param=D_ch / N_ch,
        chinchilla_train_flops=FLOPS_PER_PARAM_TOKEN * N_ch * D_ch,
        chinchilla_lifetime_flops=lifetime_flops(N_ch, D_ch, inference_tokens),
    )
