"""YAML config files read with one line naming the file, line and column of a syntax error.

Snakemake 9 reports a ``--configfile`` with a YAML syntax error as "Config file is not valid JSON
or YAML", naming neither the file nor the line, and it reads those files before the workflow runs,
so the workflow cannot improve that message. The Snakefile checks its own ``config.yaml`` through
:func:`load_yaml`; for any other file, ``python -m scalinglab.config_file FILE ...`` says where.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml


class ConfigFileError(ValueError):
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
        print("usage: python -m scalinglab.config_file FILE.yaml ...", file=sys.stderr)
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
