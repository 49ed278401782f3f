"""Tables of fitted parameters with intervals beside published values (CSV for the report and
for the planner: columns `law, parameter, fitted, lo, hi, level` then one column per reference)."""
from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .chinchilla import ChinchillaBootstrap, derived_quantities
from .published import ChinchillaLaw

# Fit tables keep 6 significant digits (written with scalinglab.io.write_csv).
FLOAT_FORMAT = "%.6g"
CHINCHILLA_PARAMETERS = ("E", "A", "B", "alpha", "beta", "a", "b", "G")


def chinchilla_table(law_name: str, boot: ChinchillaBootstrap,
                     references: dict[str, ChinchillaLaw | dict] | None = None) -> pd.DataFrame:
    """One row per parameter of Approach 3 (and the allocation a, b, G derived from it)."""
    fitted = derived_quantities(boot.fit)
    refs = {k: (derived_quantities(v) if isinstance(v, ChinchillaLaw) else v)
            for k, v in (references or {}).items()}
    rows = []
    for p in CHINCHILLA_PARAMETERS:
        lo, hi = boot.interval(p) if p in boot.samples else (math.nan, math.nan)
        row = dict(law="chinchilla", fit=law_name, parameter=p, fitted=fitted[p], lo=lo, hi=hi,
                   level=boot.level)
        for k, v in refs.items():
            row[k] = v.get(p, math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def exponent_table(law_name: str, rows: dict[str, tuple[float, float, float]], level: float,
                   references: dict[str, dict] | None = None, law: str = "allocation"
                   ) -> pd.DataFrame:
    """Rows {parameter: (fitted, lo, hi)} beside reference values {column: {parameter: value}}."""
    out = []
    for p, (v, lo, hi) in rows.items():
        row = dict(law=law, fit=law_name, parameter=p, fitted=v, lo=lo, hi=hi, level=level)
        for k, ref in (references or {}).items():
            row[k] = ref.get(p, math.nan)
        out.append(row)
    return pd.DataFrame(out)
