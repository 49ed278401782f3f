"""McCoy, Frank & Linzen (2020)'s own question-formation files: download, parse, validate.

Format, one pair a line: `<source words> . decl|quest<TAB><target words> .|?` (their
data/question.{train,dev,test}; Niu et al. 2024 §6.3 train on the training file, ≈2M tokens).
Every word must be in the 68-token vocabulary; a malformed line is a one-line error naming the
file and line number.
"""
from __future__ import annotations

import math
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from .grammar import Pair
from .vocab import AUXILIARIES, PREPOSITIONS, RELATIVISERS, TOKEN_ID, VERBS_INTRANSITIVE

MCCOY_URL = ("https://raw.githubusercontent.com/tommccoy1/rnn-hierarchical-biases/master/"
             "data/question.{split}")
SPLITS = ("train", "dev", "test", "gen")  # gen: their generalisation set


def main_auxiliary_index(words) -> int:
    """Position of the main-clause auxiliary in a declarative of McCoy et al.'s grammar.

    The subject is Det N, optionally followed by a PP (Prep Det N) or a relative clause
    (Rel Aux V_intrans | Rel Det N Aux V_trans | Rel Aux V_trans Det N); the next word is the
    main auxiliary. Raises ValueError when the words do not parse that way.
    """
    w = list(words)
    i = 2
    if len(w) > i and w[i] in PREPOSITIONS:
        i += 3
    elif len(w) > i and w[i] in RELATIVISERS:
        if len(w) > i + 1 and w[i + 1] in AUXILIARIES:
            i += 3 if (len(w) > i + 2 and w[i + 2] in VERBS_INTRANSITIVE) else 5
        else:
            i += 5
    if len(w) <= i or w[i] not in AUXILIARIES:
        raise ValueError(f"no main-clause auxiliary where the grammar puts it (word {i + 1}) "
                         f"in {' '.join(w)!r}")
    return i


def parse_line(line: str, where: str = "<line>") -> Pair:
    """One McCoy line -> Pair; `where` ("file:line") prefixes every error."""
    text = line.rstrip("\n").rstrip("\r")
    if "\t" not in text:
        raise ValueError(f"{where}: missing TAB between source and target in {text!r} "
                         f"(expected '<source> . decl|quest<TAB><target>')")
    left, right = text.split("\t", 1)
    src = left.split()
    if len(src) < 3 or src[-1] not in ("decl", "quest") or src[-2] != ".":
        raise ValueError(f"{where}: source must end with '. decl' or '. quest', got {left!r}")
    marker, source, target = src[-1], tuple(src[:-2]), tuple(right.split())
    unknown = [w for w in (*source, *target) if w not in TOKEN_ID]
    if unknown:
        raise ValueError(f"{where}: word {unknown[0]!r} is not in the 68-token vocabulary")
    want_end = "?" if marker == "quest" else "."
    if not target or target[-1] != want_end:
        raise ValueError(f"{where}: a {marker} target must end with {want_end!r}, got {right!r}")
    try:
        aux_i = main_auxiliary_index(source)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    subject_rc = source[2] in RELATIVISERS
    return Pair(source, marker, target, aux_i, subject_rc, math.nan)


def load_pairs(path: str | os.PathLike) -> list[Pair]:
    """All pairs of one McCoy-format file; empty or malformed files fail with file and line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"question-formation file {path} does not exist")
    pairs = []
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            pairs.append(parse_line(line, f"{path}:{number}"))
    if not pairs:
        raise ValueError(f"{path}: empty question-formation file (no pairs)")
    return pairs


def download(split: str, dest: str | os.PathLike, url_template: str = MCCOY_URL,
             timeout: float = 30.0) -> Path:
    """Fetch McCoy et al.'s `split` file to `dest` atomically; offline -> a one-line error."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r} must be one of {SPLITS}")
    url = url_template.format(split=split)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as err:
        raise RuntimeError(
            f"cannot download {url} ({getattr(err, 'reason', err)}); offline, set "
            f"question_formation.source to 'generate' or to a local directory holding "
            f"question.{{train,dev,test}}") from None
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, dest)
    return dest
