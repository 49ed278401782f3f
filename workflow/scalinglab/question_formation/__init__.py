"""Question formation (McCoy, Frank & Linzen 2020) as used by Niu et al. 2024, §6.3.

vocab: the 68-token vocabulary; grammar: the context-free generator; mccoy: the loader for
McCoy et al.'s files; train: a vanilla Transformer trained on the pairs, loss every step.
"""
