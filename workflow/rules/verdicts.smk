# Rules: verdicts. Every claim of the reproduced papers against this run's own outputs, by the
# stated rules of scalinglab.verdicts: results/verdicts/verdicts.{csv,json}. Only the analyses
# the config runs are read; a claim whose analysis is absent is left out (named in the log).


localrules:
    verdicts,


rule verdicts:
    """One row per claim: paper value, this run's value and interval, the corpus's reference, verdict."""
    input:
        unpack(verdicts_input),
    output:
        table=report(
            f"{VERDICTS}/verdicts.csv",
            caption="../report/verdicts_table.rst",
            category=report_category("verdicts"),
            labels={"table": "every claim against this run"},
        ),
        records=f"{VERDICTS}/verdicts.json",
    log:
        f"{RESULTS}/logs/verdicts/verdicts.log",
    conda:
        ANALYSIS_ENV
    params:
        settings=config["verdicts"],
        irreducible_tolerance=config["fits"]["irreducible_tolerance"],
        predict_level=config["predict"]["level"],
    script:
        STAGE


ALL_TARGETS.extend(rules.verdicts.output)
