"""Niu et al.'s N = O(D²) for well-separated patterns, measured: the smallest model on a ladder that
memorises D random key->value patterns to a stated loss, for a range of D, and the fitted exponent
of N_min against D (arXiv 2405.08707, ICLR 2026 version).

Modules: ``patterns`` (the data and its entropy), ``memorise`` (training one model to the
criterion), ``search`` (the ladder and the bisection over it), ``fit`` (the exponent and its
interval, and the comparison with 2, 1.35 and 1), ``figures``, ``stages`` (one function per rule).
"""
