"""Checks of training settings that only the prepared data or the job can answer, and the run spec.

Parse time cannot know how many tokens the data stage will write, so ``block_size`` against the
smallest subset is checked here: by the ``train_preflight`` rule (one cheap job per experiment,
never retried, run before any training job) and again by the trainer before its first step. A
:class:`ConfigError` is the same on every attempt; the CLI exits with :data:`EXIT_CONFIG` and says
so, where a preempted or killed job (worth a retry: it resumes) exits otherwise.
"""
from __future__ import annotations

import json
import types
import typing
from dataclasses import fields
from pathlib import Path

from ..data.tokens import DataError, read_sidecar
from .. import config as workflow_config
from .config import TrainConfig

EXIT_CONFIG = 78  # sysexits.h EX_CONFIG: a configuration error
NOT_TRANSIENT = "a config error, not transient: a retry fails the same way"


class ConfigError(workflow_config.ConfigError):
    """A setting that does not fit the prepared data, the job or the spec: retrying will not help
    (the job-time kind of the parse-time `scalinglab.config.ConfigError`; the CLI exits 78 on it)."""


def check_windows(n_tokens: int, block_size: int, name: str, where: str = "train") -> int:
    """Windows of block_size + 1 tokens in a token file; at least one is needed."""
    n_windows = (int(n_tokens) - 1) // block_size
    if n_windows < 1:
        raise ConfigError(f"{where}.block_size={block_size} needs at least {block_size + 1} tokens but "
                          f"{name} holds {n_tokens}: lower {where}.block_size or use more data")
    return n_windows


def check_world(cfg: TrainConfig, world_size: int, where: str = "train") -> int:
    """Gradient-accumulation steps for `world_size` processes (batch_tokens must split evenly)."""
    try:
        return cfg.grad_accum(world_size)
    except ValueError as err:
        raise ConfigError(str(err).replace("train.", f"{where}.", 1)) from None


def check_experiment(settings: dict, gpus: int, train_sidecars: list[str], val_sidecar: str,
                     where: str = "train") -> dict:
    """The `train_preflight` rule: every run of an experiment fits its data and its processes.

    Reads only the sidecars (token counts, vocabulary), so it is cheap; the trainer reads the tokens.
    """
    cfg = TrainConfig.from_dict(settings, where=where)
    world = max(1, int(gpus))
    accum = check_world(cfg, world, where)
    vocab, windows = set(), {}
    for path in [*train_sidecars, val_sidecar]:
        meta = read_sidecar(Path(path))
        windows[str(path)] = check_windows(meta["tokens"], cfg.block_size, f"{path} (prepared by the data stage)", where)
        vocab.add(meta["vocab_size"])
    if len(vocab) > 1:
        raise ConfigError(f"the token files of {where} have different vocab_size {sorted(vocab)}: "
                          f"rerun the data stage (snakemake --forcerun prepare_data)")
    return dict(world_size=world, grad_accum=accum, vocab_size=vocab.pop(), windows=windows)


# ---- the run spec that `python -m scalinglab.train --spec` reads ----

_SPEC_KEYS = {"run_dir": str, "train_data": str, "val_data": str, "identity": dict, "model": dict}
_SPEC_OPTIONAL = {"train": dict, "threads": int}


def _type_ok(value, hint) -> bool:
    """JSON value against a dataclass field type: int, float (an int is fine), bool, str, X | None."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    for t in options:
        if t is type(None) and value is None:
            return True
        if t is bool and isinstance(value, bool):
            return True
        if t is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if t is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if t is str and isinstance(value, str):
            return True
    return False


def _type_name(hint) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string", type(None): "null"}
    return " or ".join(names.get(t, str(t)) for t in (typing.get_args(hint) or (hint,)))


def check_spec(spec, where: str) -> dict:
    """One line naming the key for a missing key or a wrong type (before torch does anything)."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: the spec is a JSON {type(spec).__name__}, not an object")
    for key, kind in {**_SPEC_KEYS, **_SPEC_OPTIONAL}.items():
        if key not in spec:
            if key in _SPEC_KEYS:
                raise ConfigError(f"{where}: missing key {key!r} (a spec has {', '.join(_SPEC_KEYS)})")
            continue
        if not isinstance(spec[key], kind) or isinstance(spec[key], bool):
            raise ConfigError(f"{where}: {key}={spec[key]!r} must be {_type_name(kind)}" if kind is not dict
                              else f"{where}: {key} must be a JSON object, got {spec[key]!r}")
    for key in ("n_layer", "n_head", "n_embd"):
        value = spec["model"].get(key)
        if not _type_ok(value, int) or value < 1:
            raise ConfigError(f"{where}: model.{key}={value!r} must be an integer >= 1")
    ident = spec["identity"]
    for key, hint in (("seed", int), ("budget", float | None), ("fraction", float | None)):
        if key in ident and not _type_ok(ident[key], hint):
            raise ConfigError(f"{where}: identity.{key}={ident[key]!r} must be {_type_name(hint)}")
    hints = typing.get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        if f.name in spec.get("train", {}) and not _type_ok(spec["train"][f.name], hints[f.name]):
            raise ConfigError(f"{where}: train.{f.name}={spec['train'][f.name]!r} must be {_type_name(hints[f.name])}")
    _check_train_ranges(spec.get("train", {}), where)
    return spec


def _resolve(root: dict, schema: dict) -> dict:
    """Follow a local "$ref" ("#/$defs/x") to the schema it names."""
    while "$ref" in schema and schema["$ref"].startswith("#/"):
        target = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = target
    return schema


SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"


def _check_train_ranges(settings: dict, where: str):
    """Ranges and allowed values from the config schema's `train` section: the one definition
    the workflow validates with, applied to a hand-written spec too (absent outside a checkout)."""
    if not SCHEMA.is_file():
        return
    import jsonschema
    import yaml

    root = yaml.safe_load(SCHEMA.read_text())
    train = root["properties"]["train"]
    train = {**train, **{k: root[k] for k in ("definitions", "$defs") if k in root}}  # for any $ref
    validator = jsonschema.Draft202012Validator(train)
    # unknown keys are TrainConfig's to report (it lists the known ones)
    known = set(_resolve(root, train).get("properties", {}))
    settings = {k: v for k, v in settings.items() if not known or k in known}
    for err in validator.iter_errors(settings):
        key = ".".join(str(p) for p in err.absolute_path)
        value = f"={err.instance!r}" if key else ""
        raise ConfigError(f"{where}: train.{key}{value}: {err.message}")


def load_spec(path: str) -> dict:
    """Read and check a run spec; every problem is one line naming the file or the key."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"spec {path} not found") from None
    except IsADirectoryError:
        raise ConfigError(f"spec {path} is a directory: pass the run's spec.json") from None
    except UnicodeDecodeError:
        raise ConfigError(f"spec {path} is not UTF-8 text: pass the run's spec.json") from None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"spec {path} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    return check_spec(spec, f"spec {path}")


__all__ = ["ConfigError", "DataError", "EXIT_CONFIG", "NOT_TRANSIENT", "check_experiment", "check_spec",
           "check_windows", "check_world", "load_spec"]
