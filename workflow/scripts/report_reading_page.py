"""Rule report_reading_page: the reading page (scalinglab.report.stages.report_reading_page)."""
import logging
import sys

from scalinglab.report import ReportError
from scalinglab.report.stages import report_reading_page

logging.basicConfig(filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(message)s")
try:
    out = report_reading_page(
        snakemake.params.entries, snakemake.config, snakemake.output.page,
        verdicts=snakemake.input.verdicts[0] if snakemake.input.verdicts else None,
        configfiles=snakemake.params.configfiles, data_source=snakemake.params.data_source,
        benchmarks=snakemake.params.benchmarks, methods=snakemake.params.methods,
        benchmark_patterns=snakemake.params.benchmark_patterns)
except ReportError as exc:
    sys.exit(f"report_reading_page: {exc}")
logging.info("wrote %s (%d entries)", out, len(snakemake.params.entries))
