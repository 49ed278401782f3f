"""The reading page (issue 14): one self-contained HTML file that reads like the results section
of a reproduction paper — header facts, the verdict table, one section per paper with every
figure inline and its caption beneath, the tables, and a methods appendix.

``page`` assembles it (Jinja2 template and CSS in ``templates/``); ``stages.report_reading_page`` is
the rule's function (``workflow/rules/report.smk``, rule ``report_reading_page``).
"""
from scalinglab.report.page import (SECTIONS, VERDICT_COLUMNS, Entry, ReportError, benchmark_totals,
                                    build_page, render_caption)

__all__ = ["SECTIONS", "VERDICT_COLUMNS", "Entry", "ReportError", "benchmark_totals", "build_page",
           "render_caption"]
