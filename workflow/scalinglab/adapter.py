"""The bridge between a Snakemake rule and its stage function, the same for every rule.

Each rule runs workflow/scripts/stage.py, which calls :func:`run_stage`. It sends logging, stdout
and stderr to the rule's log, calls ``scalinglab.<analysis>.stages.<rule name>`` with the rule's
named inputs, outputs and params as keyword arguments (plus ``threads`` and ``log`` when the
stage takes them), and turns a known error into one line on the terminal and a non-zero exit.
Snakemake then removes the job's outputs, so no partial result is left behind.
"""
from __future__ import annotations

import importlib
import inspect
import logging
import sys

# Rules whose name is not `<analysis>_...`.
RULE_ANALYSIS = {"prepare_data": "data", "train": "train"}
ANALYSES = ("question_formation", "quantization", "memory", "fits", "predict", "report")
# Errors that describe bad input or a failed run in words; anything else keeps its traceback.
# The RuntimeError ones by module, so that a figure job need not import torch to recognise them.
KNOWN_ERRORS = (ValueError, FileNotFoundError)
KNOWN_RUNTIME_ERRORS = (("scalinglab.data.tokens", "DataError"), ("scalinglab.memory.states", "HubUnavailable"),
                        ("scalinglab.train.trainer", "TrainingError"))


def known_errors() -> tuple:
    loaded = (getattr(sys.modules[m], name) for m, name in KNOWN_RUNTIME_ERRORS if m in sys.modules)
    return (*KNOWN_ERRORS, *loaded)


def stage_function(rule: str):
    """``scalinglab.<analysis>.stages.<rule>``: the plain function behind a rule."""
    analysis = RULE_ANALYSIS.get(rule) or next((a for a in ANALYSES if rule.startswith(a + "_")), None)
    if analysis is None:
        raise LookupError(f"rule {rule!r} names no analysis (prefix one of {', '.join(ANALYSES)})")
    return getattr(importlib.import_module(f"scalinglab.{analysis}.stages"), rule)


def _named(namedlist, paths: bool) -> dict:
    """{name: value} of a rule's named inputs, outputs or params; paths as plain strings."""
    out = {}
    for name in namedlist._names:
        value = getattr(namedlist, name)
        if paths:
            value = [str(v) for v in value] if isinstance(value, list) else str(value)
        out[name] = value
    return out


def stage_arguments(smk, stage) -> dict:
    """Named inputs, outputs and params (each name used once), plus threads and log if asked for."""
    kwargs: dict = {}
    for kind in ("input", "output", "params"):
        for name, value in _named(getattr(smk, kind), paths=kind != "params").items():
            if name in kwargs:
                raise LookupError(f"rule {smk.rule}: {kind} {name!r} reuses a name; rename one of them")
            kwargs[name] = value
    accepted = inspect.signature(stage).parameters
    if "threads" in accepted:
        kwargs["threads"] = int(smk.threads)
    if "log" in accepted:
        kwargs["log"] = str(smk.log[0])
    return kwargs


def run_stage(smk) -> None:
    log_path = str(smk.log[0])
    log_file = open(log_path, "a", buffering=1, encoding="utf-8")  # append: a retried job keeps its history
    logging.basicConfig(stream=log_file, level=logging.INFO, format="%(asctime)s %(name)s %(message)s",
                        force=True)
    terminal = sys.__stderr__
    sys.stdout = sys.stderr = log_file  # progress bars and prints go to the log too
    stage = stage_function(smk.rule)
    try:
        stage(**stage_arguments(smk, stage))
    except Exception as err:
        if not isinstance(err, known_errors()):
            raise
        logging.error("%s", err)
        print(f"{smk.rule}: error: {err} [log: {log_path}]", file=terminal)
        sys.exit(1)
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        log_file.flush()
