"""The stage of rule `verdicts` (workflow/rules/verdicts.smk): the analyses' outputs in,
results/verdicts/verdicts.{csv,json} out."""
from __future__ import annotations

import logging

from .claims import Settings
from .collect import INPUTS, collect
from .table import write_verdicts

log = logging.getLogger(__name__)


def verdicts(*, table: str, records: str, settings: dict, irreducible_tolerance: float,
             predict_level: float, **inputs) -> None:
    """inputs: the rule's named inputs (keys of collect.INPUTS; unconfigured analyses absent)."""
    unknown = sorted(set(inputs) - set(INPUTS))
    if unknown:
        raise ValueError(f"rule verdicts: unknown input(s) {unknown}; known: {sorted(INPUTS)}")
    s = Settings.from_config(settings, irreducible_tolerance=irreducible_tolerance,
                             predict_level=predict_level)
    rows = collect(inputs, s, log=log.info)
    for r in rows:
        log.info("%-17s %s: %s", r.verdict, r.claim_id, r.detail)
    write_verdicts(rows, table, records)
