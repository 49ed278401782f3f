"""Prediction and planning: extrapolation checked on held-out runs, and a compute planner.

Modules: budget (hardware -> FLOPs), laws (constants -> allocation and loss), planner (the
questions), inference (Sardana et al. 2023 sizing), fitted (the pipeline's fitted tables),
extrapolate (fit on small runs, predict the large ones), cli (`scalinglab-plan`).
"""
