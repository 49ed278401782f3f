"""The report's own pieces (rules/report.smk): figure 13 and the run sanity table."""
