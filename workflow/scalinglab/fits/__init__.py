"""Scaling-law fitting: Kaplan et al. 2020, Hoffmann et al. 2022 (Approaches 1-3), public points."""
