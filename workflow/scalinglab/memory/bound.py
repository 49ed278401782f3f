"""The cross-entropy lower bound of Niu et al. 2024 (arXiv 2405.08707), Section 5.

What the paper states: with stored patterns ρ_1..ρ_d ∈ R^n, layer energy (its Eq. 5)
E(x) = −log Σ_i exp(−‖x − ρ_i‖²), model density p_θ(x) = exp(−E(x)) / Z on the region of
convergence Ω = ∪_i B(ρ_i, r), the cross-entropy splits (its Remark 2) as
H(p, p_θ) = H(p) + KL(p ‖ p_θ) ≥ H(p); when the model is over-parameterised enough for p_θ to
match the sample distribution, the minimal cross-entropy is that entropy. Its look at the layer
partition function (Appendix C: incomplete gamma functions, Stirling's formula) yields a
constant "approximately equal to 1", and its Table 2 notes that reported losses all exceed 1.

What we had to choose (the paper's closed form could not be recovered from the copies of the
text available offline, whose equations were stripped; this is our reconstruction of what the
construction implies, and the figure captions say so):

1. Well-separated patterns: on B(ρ_i, r) only the i-th term of E matters, so
   exp(−E(x)) ≈ exp(−‖x − ρ_i‖²): each basin is an isotropic Gaussian of variance 1/2 per
   coordinate, truncated to the ball of radius r.
2. Remark 2's over-parameterised case: KL = 0, so the minimum is the entropy of p_θ itself:
   H = ln d + ln Z_r + E[‖x − ρ‖²], with, per basin (Appendix C's incomplete gamma functions),
   Z_r = π^{n/2} P(n/2, r²) and E[‖x − ρ‖²] = (n/2) P(n/2 + 1, r²) / P(n/2, r²),
   P the regularised lower incomplete gamma function.
3. Per-token scale: the loss the paper compares with (nats per token) is read as this entropy
   per coordinate of the n-dimensional representation, H / n.

For r → ∞ (the well-separated limit, radius=None) this is ½ ln(π e) + ln(d) / n: 1.072 nats
plus a term that vanishes when ln d ≪ n — the "≈ 1 nat" of the paper. For GPT-2-sized
n = 768 and d = 2M patterns (the question-formation corpus' tokens) it is 1.091.
A finite r (e.g. the memorisation radius √(n / 2πe) of §6.1, scalinglab.memory.radius) lowers
the value.
"""
from __future__ import annotations

import math

from scipy.special import gammainc, gammaln


def basin_log_partition(n: int, radius: float | None = None) -> float:
    """ln ∫_{‖x‖≤r} exp(−‖x‖²) dx = (n/2) ln π + ln P(n/2, r²)  (r = None: the whole space)."""
    if n < 1:
        raise ValueError(f"dimension n={n} must be a positive integer")
    log_z = 0.5 * n * math.log(math.pi)
    if radius is not None:
        if radius <= 0:
            raise ValueError(f"radius={radius} must be positive (or None for the untruncated basin)")
        log_z += math.log(gammainc(n / 2, radius ** 2))
    return log_z


def basin_mean_energy(n: int, radius: float | None = None) -> float:
    """E[‖x − ρ‖²] under the basin density ∝ exp(−‖x − ρ‖²) on B(ρ, r)."""
    if radius is None:
        return n / 2
    a, r2 = n / 2, radius ** 2
    return a * gammainc(a + 1, r2) / gammainc(a, r2)


def cross_entropy_lower_bound(n_embd: int, num_patterns: float, radius: float | None = None,
                              per_dimension: bool = True) -> float:
    """Niu et al. 2024 §5: the minimal cross-entropy (nats) of the associative-memory model.

    n_embd: dimension n of the representations (the transformer width);
    num_patterns: d, the number of stored (memorised) patterns, e.g. training tokens;
    radius: basin radius r (None = well-separated limit, the paper's conditions);
    per_dimension: divide by n to get the per-token scale the paper compares losses with.
    Assumptions 1–3 in the module docstring. Under the paper's conditions (large n,
    ln d ≪ n, well-separated patterns) the value is ≈ ½ ln(π e) ≈ 1.07 nats.
    """
    if not (isinstance(n_embd, int) and n_embd >= 1):
        raise ValueError(f"n_embd={n_embd!r} must be a positive integer")
    if not num_patterns >= 1:
        raise ValueError(f"num_patterns={num_patterns!r} must be at least 1")
    total = (math.log(num_patterns) + basin_log_partition(n_embd, radius)
             + basin_mean_energy(n_embd, radius))
    return total / n_embd if per_dimension else total
