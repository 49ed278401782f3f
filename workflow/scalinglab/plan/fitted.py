"""Read a fitted-law table written by the fits rules and turn it into a PlanningLaw.

Accepted: CSV with one row per parameter (a `parameter`/`name` column and a `value`/`fit`/
`estimate` column; other columns such as intervals and published values are ignored), or JSON
(a flat {parameter: value} object, or one with a `params`/`parameters` object inside). The law is
recognised by its parameter names:
- Chinchilla, Eq. 2 of Hoffmann et al. 2022: E, A, B, alpha, beta;
- Kaplan L(N, D), Eq. 1.5 of Kaplan et al. 2020: N_c, D_c, alpha_N, alpha_D.
A table holding neither set (e.g. a one-variable Kaplan power law or the quantization model's
exponents) is rejected with one line that names what it holds.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from ..fits.kaplan import KaplanJointLaw
from ..fits.published import ChinchillaLaw
from .budget import PlanError
from .laws import PlanningLaw, from_chinchilla, from_kaplan_joint

CHINCHILLA_KEYS = ("E", "A", "B", "alpha", "beta")
KAPLAN_KEYS = ("N_c", "D_c", "alpha_N", "alpha_D")
_NAME_COLUMNS = ("parameter", "param", "name")
_VALUE_COLUMNS = ("value", "fit", "estimate", "fitted")


def _from_csv(path: Path) -> dict[str, float]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise PlanError(f"fitted table {path} is empty; rebuild it with the fits rules")
    cols = rows[0].keys()
    name_col = next((c for c in _NAME_COLUMNS if c in cols), None)
    value_col = next((c for c in _VALUE_COLUMNS if c in cols), None)
    if name_col is None or value_col is None:
        # A one-row wide table: parameter names are the columns.
        if len(rows) == 1:
            return {k: v for k, v in rows[0].items()}
        raise PlanError(f"fitted table {path} has columns {', '.join(cols)}; expected a "
                        f"parameter column ({'/'.join(_NAME_COLUMNS)}) and a value column "
                        f"({'/'.join(_VALUE_COLUMNS)})")
    out = {r[name_col]: r[value_col] for r in rows}
    if "law" in cols:
        out["law"] = rows[0]["law"]
    return out


def _from_json(path: Path) -> dict:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise PlanError(f"fitted table {path} must hold a JSON object of parameters")
    for key in ("params", "parameters", "fit"):
        if isinstance(data.get(key), dict):
            inner = dict(data[key])
            if "law" in data:
                inner.setdefault("law", data["law"])
            return inner
    return data


def read_fitted_table(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise PlanError(f"fitted table {path} not found; build it first (snakemake {path}) "
                        f"or pass an existing file")
    try:
        raw = _from_json(path) if path.suffix == ".json" else _from_csv(path)
    except (json.JSONDecodeError, csv.Error, UnicodeDecodeError) as err:
        raise PlanError(f"fitted table {path} is unreadable ({err}); rebuild it") from None
    return raw


def _numbers(raw: dict, keys, path) -> dict[str, float]:
    out = {}
    for k in keys:
        try:
            v = float(raw[k])
        except (TypeError, ValueError):
            raise PlanError(f"fitted table {path}: parameter {k} is {raw[k]!r}, not a number") \
                from None
        if not math.isfinite(v) or v <= 0:
            raise PlanError(f"fitted table {path}: parameter {k} = {v:g} must be finite and > 0")
        out[k] = v
    return out


def load_fitted_law(path, name: str | None = None) -> PlanningLaw:
    """A PlanningLaw from the pipeline's own fitted table; one-line PlanError if unusable."""
    raw = read_fitted_table(path)
    label = name or f"fitted ({Path(path).stem})"
    keys = set(raw)
    if set(CHINCHILLA_KEYS) <= keys:
        p = _numbers(raw, CHINCHILLA_KEYS, path)
        law = ChinchillaLaw(**p, source=f"pipeline fit, {path}")
        return from_chinchilla(law, label, note="the pipeline's own Approach 3 fit")
    if set(KAPLAN_KEYS) <= keys:
        p = _numbers(raw, KAPLAN_KEYS, path)
        return from_kaplan_joint(KaplanJointLaw(**p), name=label, source=f"pipeline fit, {path}",
                                 note="the pipeline's own Kaplan L(N, D) fit")
    held = ", ".join(sorted(k for k in keys if k != "law")) or "nothing"
    law = f" (law {raw['law']!r})" if "law" in raw else ""
    raise PlanError(f"fitted table {path}{law} holds {held}: not a law the planner can use; pass "
                    f"a Chinchilla table ({', '.join(CHINCHILLA_KEYS)}) or a Kaplan L(N, D) "
                    f"table ({', '.join(KAPLAN_KEYS)})")
