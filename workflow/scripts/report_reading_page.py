"""Rule reading_report: the reading page (scalinglab.report.stages.reading_report)."""
import logging
import sys

from scalinglab.report import ReportError
from scalinglab.report.stages import reading_report

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
try:
    out = reading_report(
        snakemake.params.entries, snakemake.config, snakemake.output.page,
        verdicts=snakemake.input.verdicts[0] if snakemake.input.verdicts else None,
        configfiles=snakemake.params.configfiles, data_source=snakemake.params.data_source,
        benchmarks=snakemake.params.benchmarks, methods=snakemake.params.methods)
except ReportError as exc:
    sys.exit(f"reading_report: {exc}")
logging.info("wrote %s (%d entries)", out, len(snakemake.params.entries))
