"""Rule verdicts: the analyses' outputs -> results/verdicts/verdicts.{csv,json} (scalinglab.verdicts)."""
import sys

from scalinglab.verdicts.claims import Settings
from scalinglab.verdicts.collect import INPUTS, collect
from scalinglab.verdicts.table import write_verdicts

with open(snakemake.log[0], "w") as log:  # noqa: F821 (injected by Snakemake)
    p = snakemake.params  # noqa: F821
    settings = Settings.from_config(p.settings, irreducible_tolerance=p.irreducible_tolerance,
                                    predict_level=p.predict_level)
    inputs = {k: snakemake.input.get(k, []) for k in INPUTS}  # noqa: F821
    try:
        rows = collect(inputs, settings, log=lambda m: print(m, file=log))
    except (ValueError, KeyError, OSError) as err:
        print(f"error: {err}", file=log)
        sys.exit(f"verdicts: error: {err}")
    for r in rows:
        print(f"{r.verdict:17s} {r.claim_id}: {r.detail}", file=log)
    write_verdicts(rows, snakemake.output.table, snakemake.output.json)  # noqa: F821
