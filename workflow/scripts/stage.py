"""The script of every rule: scalinglab.adapter.run_stage sets up the log, calls the rule's stage
function (scalinglab.<analysis>.stages.<rule>) and turns a known error into one line."""
from scalinglab.adapter import run_stage

run_stage(snakemake)  # noqa: F821 (injected by Snakemake)
