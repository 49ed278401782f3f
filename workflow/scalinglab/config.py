"""Parse-time checks of the workflow config against workflow/schemas/config.schema.yaml.

Snakemake's `validate()` fills in the schema's defaults but reports a failure as a multi-line
dump. `check_config` runs first, on the config as given: the first problem becomes one line that
names the key (`experiments.kaplan.train.beta2: 1.5 is greater than or equal to ...`). It also
checks each experiment's `train:` overrides against the one definition of the training settings
(`$defs/train_settings`, the same one the global `train:` section refers to) without filling in
defaults, so that an override never hides the global value.

YAML files: Snakemake 9 reports a ``--configfile`` with a YAML syntax error as "Config file is not
valid JSON or YAML", naming neither the file nor the line, and it reads those files before the
workflow runs, so the workflow cannot improve that message. The Snakefile reads its own
``config.yaml`` through :func:`load_yaml`; for any other file, ``python -m scalinglab.config FILE
...`` names file:line:column.
"""
from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

# Letters, digits, '.', '_', '-', not starting with '.': a name that becomes a path stays inside results/.
SAFE_NAME = r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$"
NAME_HINT = "use letters, digits, '.', '_' and '-', not starting with '.'"
# YAML's spellings of null: `--config` parses nested values as plain strings (Snakemake's BaseLoader).
NULL_SPELLINGS = {"null", "Null", "NULL", "~", "None"}


class ConfigError(ValueError):
    """A config value the schema rejects; the message is one line naming the key."""


def load_schema(path: str | os.PathLike) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _types(schema: dict) -> set[str]:
    t = schema.get("type", [])
    return {t} if isinstance(t, str) else set(t)


def coerce_command_line_strings(config, schema: dict, root: dict | None = None):
    """Turn the strings `--config 'section={key: value}'` leaves (Snakemake parses nested values
    with YAML's BaseLoader, so `null` is "null" and `40` is "40") into the type the schema asks for.
    Only a string the schema does not allow as a string is touched; anything else is left as given."""
    root = root or schema
    if "$ref" in schema:
        ref = schema["$ref"]
        if ref.startswith("#/"):
            target = root
            for part in ref[2:].split("/"):
                target = target[part]
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    if isinstance(config, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, value in list(config.items()):
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                config[key] = coerce_command_line_strings(value, sub, root)
        return config
    if isinstance(config, list) and isinstance(schema.get("items"), dict):
        return [coerce_command_line_strings(v, schema["items"], root) for v in config]
    if isinstance(config, str):
        types = _types(schema)
        if "null" in types and config in NULL_SPELLINGS:
            return None
        if types and "string" not in types and "enum" not in schema:
            try:
                parsed = yaml.safe_load(config)
            except yaml.YAMLError:
                return config
            kinds = {"integer": int, "number": (int, float), "boolean": bool, "array": list,
                     "object": dict, "null": type(None)}
            if any(isinstance(parsed, kinds[t]) for t in types if t in kinds):
                return parsed
    return config


def _one_line(error, prefix: tuple = ()) -> str:
    where = ".".join(str(p) for p in (*prefix, *error.absolute_path)) or "config"
    if error.validator == "pattern" and error.validator_value == SAFE_NAME:
        return f"{where}: {error.instance!r} is not a safe name ({NAME_HINT})"
    return f"{where}: {error.message}"


def check_config(config: dict, schema_path: str | os.PathLike) -> None:
    """Raise ConfigError with one line naming the first bad key of `config` (which is left as given)."""
    schema = load_schema(schema_path)
    coerce_command_line_strings(config, schema)
    given = copy.deepcopy(config)
    validator = Draft202012Validator(schema)
    error = best_match(validator.iter_errors(given))
    if error is not None:
        raise ConfigError(_one_line(error))
    train_schema = {"$ref": "#/$defs/train_settings", "$defs": schema["$defs"]}
    train = Draft202012Validator(train_schema)
    for name, experiment in (given.get("experiments") or {}).items():
        if isinstance(experiment.get("train"), dict):
            coerce_command_line_strings(experiment["train"], train_schema)
            config["experiments"][name]["train"] = copy.deepcopy(experiment["train"])
        error = best_match(train.iter_errors(experiment.get("train") or {}))
        if error is not None:
            raise ConfigError(_one_line(error, prefix=("experiments", name, "train")))

class ConfigFileError(ConfigError):
    """A config file that cannot be read as YAML: `file:line:column: problem`."""


def load_yaml(path: str | Path):
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: config file not found") from None
    except UnicodeDecodeError as err:
        raise ConfigFileError(f"{path}: not UTF-8 text (byte offset {err.start})") from None
    except OSError as err:
        raise ConfigFileError(f"{path}: {err.strerror}") from None
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        context = err.context or ""
        if err.context_mark and mark and err.context_mark.line != mark.line:
            context += f" (from line {err.context_mark.line + 1})"
        problem = ": ".join(str(p) for p in (context, err.problem) if p)
        raise ConfigFileError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as err:
        raise ConfigFileError(f"{path}: YAML error: {str(err).splitlines()[0]}") from None


def main(argv=None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m scalinglab.config FILE.yaml ...", file=sys.stderr)
        return 2
    for path in paths:
        try:
            data = load_yaml(path)
        except ConfigFileError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        if data is not None and not isinstance(data, dict):
            print(f"error: {path}: a config file is a mapping of sections, not a {type(data).__name__}",
                  file=sys.stderr)
            return 1
        print(f"ok {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
