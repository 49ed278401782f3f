"""The reading order of the report: one section per paper, then prediction and run health.

Light on purpose (no pandas, no Jinja): the rule files import :func:`report_category` at parse time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


class ReportError(ValueError):
    """Bad input to the page: the message names the value and the fix, in one line."""


@dataclass(frozen=True)
class Section:
    """One section of the page. `category` is the report() category without its leading number;
    `analyses` are the subsections (rule-file names) in reading order, each its own anchor."""

    id: str
    category: str
    title: str
    analyses: tuple[str, ...] = ()


# Reading order (issue 14): Niu first, the headline paper, then Kaplan, Chinchilla, Muennighoff, Michaud,
# prediction, run health. Ids match the verdict table's `section` column.
SECTIONS = (
    Section("niu", "Niu et al. 2024", "Niu et al. 2024: transformers as associative memories",
            ("memory", "question_formation", "capacity")),
    Section("kaplan", "Kaplan et al. 2020", "Kaplan et al. 2020: scaling laws"),
    Section("chinchilla", "Hoffmann et al. 2022 with Besiroglu et al. 2024",
            "Hoffmann et al. 2022 (Chinchilla), with the Besiroglu et al. 2024 replication"),
    Section("muennighoff", "Muennighoff et al. 2023",
            "Muennighoff et al. 2023: scaling with repeated data"),
    Section("quantization", "Michaud et al. 2023", "Michaud et al. 2023: the quantization model"),
    Section("predict", "Prediction and planning", "Prediction and planning"),
    Section("health", "Run health", "Run health"),
)
ANALYSIS_TITLES = {"memory": "Memory: energy, distances, data fractions, allocation",
                   "question_formation": "Question formation (§6.3)",
                   "capacity": "Capacity: N = O(D²)"}


READING_CATEGORY = "Reading page"


def report_category(section_id: str) -> str:
    """The report() category of a section, numbered in reading order ('1 Niu et al. 2024').

    Snakemake's report menu sorts category names as strings (localeCompare in its menu.js), so the
    leading number is what puts the papers in reading order there; the reading page comes first.
    """
    if section_id == "reading":
        return f"0 {READING_CATEGORY}"
    if section_id == "verdicts":  # the verdict table right after the page that shows it
        return "0 Verdicts"
    ids = [s.id for s in SECTIONS]
    if section_id not in ids:
        raise ReportError(f"report section {section_id!r} is unknown; use one of {ids}")
    return f"{ids.index(section_id) + 1} {SECTIONS[ids.index(section_id)].category}"


def category_name(category: str | None) -> str:
    """A report() category without the number that orders Snakemake's menu ('1 Niu et al. 2024')."""
    return re.sub(r"^\s*\d+[.:)]?\s+", "", category or "Other")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


