"""Rule train_preflight: check an experiment's settings against its prepared data and process count."""
import json
import sys
from pathlib import Path

from scalinglab.train.preflight import NOT_TRANSIENT, ConfigError, DataError, check_experiment

sm = snakemake  # noqa: F821  (injected by Snakemake)
where = f"experiments.{sm.wildcards.experiment}.train"
try:
    result = check_experiment(sm.params.settings, sm.params.gpus, list(sm.input.train), sm.input.val, where)
except (ConfigError, DataError, ValueError) as err:
    Path(sm.log[0]).write_text(f"error: {err}\n")
    sys.exit(f"train_preflight {sm.wildcards.experiment}: error: {err} ({NOT_TRANSIENT})")
out = Path(sm.output[0])
tmp = out.with_name(out.name + ".tmp")
tmp.write_text(json.dumps(result, indent=2) + "\n")
tmp.replace(out)
Path(sm.log[0]).write_text(f"ok: {json.dumps(result)}\n")
