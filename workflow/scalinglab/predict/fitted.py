"""Read a fitted-law table written by the fits rules and turn it into a PlanningLaw.

Accepted:
- the fits rules' CSV tables (columns `law, fit, parameter, fitted, lo, hi, ...`, one row per
  parameter; scalinglab.fits.tables), e.g. results/fits/chinchilla_runs_approach3.csv,
  chinchilla_public_approach3.csv, kaplan_runs.csv (whose `L(N, D)` rows are used);
- a plain CSV `parameter, value`;
- JSON: the fits rules' `*_fit.json` (a `law` object, under `approach3` or `joint` for the runs'
  fits) or a flat {parameter: value} object.
The law is recognised by its parameter names:
- Chinchilla, Eq. 2 of Hoffmann et al. 2022: E, A, B, alpha, beta;
- Kaplan L(N, D), Eq. 1.5 of Kaplan et al. 2020: N_c, D_c, alpha_N, alpha_D.
A table holding neither (a one-variable power law, the quantization model's exponents) is
rejected with one line that names what it holds.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

from ..fits.checks import FitInputError
from ..fits.kaplan import KaplanJointLaw
from ..fits.published import ChinchillaLaw
from .budget import PlanError
from .laws import PlanningLaw, from_chinchilla, from_kaplan_joint

CHINCHILLA_KEYS = ("E", "A", "B", "alpha", "beta")
KAPLAN_KEYS = ("N_c", "D_c", "alpha_N", "alpha_D")
_NAME_COLUMNS = ("parameter", "param", "name")
_VALUE_COLUMNS = ("fitted", "value", "estimate")
# `law` column values of scalinglab.fits.tables that hold a usable law.
_CSV_LAWS = ("chinchilla", "kaplan L(N, D)")


def _from_csv(path: Path) -> tuple[dict, str | None]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise PlanError(f"fitted table {path} is empty; rebuild it with the fits rules")
    cols = list(rows[0].keys())
    name_col = next((c for c in _NAME_COLUMNS if c in cols), None)
    value_col = next((c for c in _VALUE_COLUMNS if c in cols), None)
    if name_col is None or value_col is None:
        raise PlanError(f"fitted table {path} has columns {', '.join(cols)}; expected a "
                        f"parameter column ({'/'.join(_NAME_COLUMNS)}) and a value column "
                        f"({'/'.join(_VALUE_COLUMNS)})")
    label = None
    if "law" in cols:
        laws = list(dict.fromkeys(r["law"] for r in rows))
        usable = [law for law in _CSV_LAWS if law in laws]
        if not usable:
            raise PlanError(f"fitted table {path} holds law(s) {', '.join(laws)}: not a law the "
                            f"planner can use; pass a Chinchilla ({', '.join(CHINCHILLA_KEYS)}) "
                            f"or Kaplan L(N, D) ({', '.join(KAPLAN_KEYS)}) table")
        rows = [r for r in rows if r["law"] == usable[0]]
        label = rows[0].get("fit") or usable[0]
    return {r[name_col]: r[value_col] for r in rows}, label


def _find_law(data, depth: int = 0):
    """The first dict (this one, its `law`, or one level below) holding a known parameter set."""
    if not isinstance(data, dict) or depth > 2:
        return None
    for keys in (CHINCHILLA_KEYS, KAPLAN_KEYS):
        if set(keys) <= set(data):
            return data
    for key in ("law", "approach3", "joint", "params", "parameters"):
        found = _find_law(data.get(key), depth + 1)
        if found is not None:
            return found
    return None


def read_fitted_table(path) -> tuple[dict, str | None]:
    """(parameters, label) from a fitted table; PlanError if missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise PlanError(f"fitted table {path} not found; build it first (snakemake {path}) "
                        f"or pass an existing file")
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text())
            found = _find_law(data)
            if found is None:
                held = ", ".join(sorted(data)) if isinstance(data, dict) else type(data).__name__
                raise PlanError(f"fitted table {path} holds {held}: not a law the planner can "
                                f"use; pass a Chinchilla ({', '.join(CHINCHILLA_KEYS)}) or Kaplan "
                                f"L(N, D) ({', '.join(KAPLAN_KEYS)}) fit")
            return found, found.get("source") or None
        return _from_csv(path)
    except (json.JSONDecodeError, csv.Error, UnicodeDecodeError) as err:
        raise PlanError(f"fitted table {path} is unreadable ({err}); rebuild it") from None


def _numbers(raw: dict, keys, path) -> dict[str, float]:
    out = {}
    for k in keys:
        try:
            v = float(raw[k])
        except (TypeError, ValueError):
            raise PlanError(f"fitted table {path}: parameter {k} is {raw[k]!r}, not a number") \
                from None
        if not math.isfinite(v) or v <= 0:
            raise PlanError(f"fitted table {path}: parameter {k} = {v:g} must be finite and > 0 "
                            f"for a compute-optimal allocation; the fit is degenerate")
        out[k] = v
    return out


def load_fitted_law(path, name: str | None = None) -> PlanningLaw:
    """A PlanningLaw from the pipeline's own fitted table; one-line PlanError if unusable."""
    raw, label = read_fitted_table(path)
    name = name or f"pipeline: {label or Path(path).stem}"
    keys = set(raw)
    try:
        if set(CHINCHILLA_KEYS) <= keys:
            p = _numbers(raw, CHINCHILLA_KEYS, path)
            law = ChinchillaLaw(**p, source=f"pipeline fit, {path}")
            planning = from_chinchilla(law, name,
                                       note=f"fitted by the pipeline ({Path(path).name})")
            return replace(planning, params_convention="N as counted by the fitted data")
        if set(KAPLAN_KEYS) <= keys:
            p = _numbers(raw, KAPLAN_KEYS, path)
            planning = from_kaplan_joint(KaplanJointLaw(**p), name=name,
                                         source=f"pipeline fit, {path}",
                                         note=f"fitted by the pipeline ({Path(path).name})")
            return replace(planning, params_convention="N as counted by the fitted data")
    except FitInputError as err:
        raise PlanError(f"fitted table {path}: {err}") from None
    held = ", ".join(sorted(keys)) or "nothing"
    raise PlanError(f"fitted table {path} holds {held}: not a law the planner can use; pass a "
                    f"Chinchilla table ({', '.join(CHINCHILLA_KEYS)}) or a Kaplan L(N, D) "
                    f"table ({', '.join(KAPLAN_KEYS)})")
