"""The report analysis (rules/report.smk): figure 13 and the run sanity table, and the reading
page (issue 14), one self-contained HTML file that reads like the results section of a reproduction
paper — header facts, the verdict table, one section per paper with every figure inline and its
caption beneath, the tables, and a methods appendix.

``sections`` fixes the reading order (and the numbered report() categories the rule files use),
``page`` assembles the page (Jinja2 template and CSS in ``templates/``), ``stages`` holds one
function per rule.
"""
from scalinglab.report.sections import SECTIONS, ReportError, report_category

__all__ = ["SECTIONS", "ReportError", "report_category"]
