"""The rule of workflow/rules/data.smk as a plain function: the config's `data` section in,
results/data/val.* and results/data/subsets/* out (scalinglab.data.prepare writes them)."""
from __future__ import annotations

import logging
from pathlib import Path

from .prepare import prepare_data as prepare

log = logging.getLogger("scalinglab.data")


def prepare_data(*, val_bin: str, val: str, settings: dict, seed: int, threads: int, **subsets: str) -> None:
    """Corpus -> tokens -> fixed validation split and nested training subsets (`subsets`: their paths)."""
    written = prepare(settings, Path(val).parent, seed, threads=threads)
    for path, meta in written.items():
        log.info("%s: %d tokens, %d documents", path, meta["tokens"], meta["documents"])
