"""Associative-memory analyses of Niu et al. 2024 (arXiv 2405.08707)."""
