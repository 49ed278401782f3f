"""Verdicts: every claim of the reproduced papers against this run's own outputs, by stated rules.

`table` holds the row type and the file contract (results/verdicts/verdicts.{csv,json});
`rules` the rules, small pure functions; `claims` one function per claim, reading the files the
analyses wrote; `collect` runs every claim whose inputs are configured.
"""
from .table import COLUMNS, NOT_IDENTIFIABLE, NOT_REPRODUCED, REPRODUCED, VERDICTS, Verdict  # noqa: F401
