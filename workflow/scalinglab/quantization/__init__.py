"""The quantization model of neural scaling (Michaud et al. 2023) on multitask sparse parity."""
from scalinglab.quantization.powerlaw import PowerLawFit, fit_loss_exponent
from scalinglab.quantization.task import SparseParityTask, zipf_frequencies
from scalinglab.quantization.theory import effective_quanta_learned, in_power_law_range, theory_exponents

__all__ = ["PowerLawFit", "SparseParityTask", "effective_quanta_learned", "fit_loss_exponent",
           "in_power_law_range", "theory_exponents", "zipf_frequencies"]
