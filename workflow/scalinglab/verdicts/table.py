"""The verdict table: one typed row per claim (contract in the project notes and README)."""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pandas as pd

REPRODUCED, NOT_REPRODUCED, NOT_IDENTIFIABLE = "reproduced", "not reproduced", "not identifiable"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_IDENTIFIABLE)
SECTIONS = ("memory", "question_formation", "capacity", "kaplan", "chinchilla", "muennighoff",
            "quantization", "predict", "health")


@dataclass(frozen=True)
class Verdict:
    claim_id: str
    section: str
    paper: str
    figure: str
    claim: str
    paper_value: str
    value: float
    lo: float
    hi: float
    reference: str
    reference_value: float
    rule: str
    verdict: str
    detail: str

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"{self.claim_id}: verdict {self.verdict!r} is not one of {VERDICTS}")
        if self.section not in SECTIONS:
            raise ValueError(f"{self.claim_id}: section {self.section!r} is not one of {SECTIONS}")
        for name in ("value", "lo", "hi", "reference_value"):
            v = getattr(self, name)
            object.__setattr__(self, name, math.nan if v is None else float(v))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, row: dict) -> "Verdict":
        out = {}
        for f in fields(cls):
            v = row[f.name]
            if f.type == "float":
                out[f.name] = math.nan if v is None or v == "" else float(v)
            else:
                out[f.name] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        return cls(**out)


COLUMNS = tuple(f.name for f in fields(Verdict))


def _json_safe(row: dict) -> dict:
    # JSON has no NaN: the table's "no value" is null there.
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def write_verdicts(rows: list[Verdict], csv_path, json_path) -> None:
    """verdicts.csv (columns in contract order) and verdicts.json (list of row dicts), atomically."""
    frame = pd.DataFrame([r.to_dict() for r in rows], columns=list(COLUMNS))
    for path, write in ((csv_path, lambda p: frame.to_csv(p, index=False, float_format="%.6g")),
                        (json_path, lambda p: Path(p).write_text(json.dumps(
                            [_json_safe(r.to_dict()) for r in rows], indent=1) + "\n"))):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        write(tmp)
        os.replace(tmp, path)


def read_verdicts(csv_path) -> list[Verdict]:
    frame = pd.read_csv(csv_path, keep_default_na=False, na_values={c: ["", "nan", "NaN"] for c in
                                                                    ("value", "lo", "hi", "reference_value")})
    if tuple(frame.columns) != COLUMNS:
        raise ValueError(f"{csv_path}: columns {list(frame.columns)} are not the contract's {list(COLUMNS)}")
    return [Verdict.from_dict(r) for r in frame.to_dict(orient="records")]
