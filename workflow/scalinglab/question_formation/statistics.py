"""Sentence-shape statistics of question-formation data (generated or McCoy et al.'s files).

Every declarative of McCoy, Frank & Linzen (2020)'s grammar is `subject Aux predicate`; the subject
is Det N with no modifier, a PP (Prep Det N) or a relative clause, and the predicate is an
intransitive verb or a transitive verb with an object noun phrase of the same three shapes. A
relative clause is one of three kinds: subject gap with an intransitive verb (`who does sleep`),
object gap (`who the yak doesn't confuse`), subject gap with a transitive verb and its own object
(`who does confuse the yak`). :func:`shape` reads these off the words; :func:`summarise` gives the
proportions that compare a generator with the released files (issue 13: subject RCs, intransitive
main verbs, object RCs, questions, duplicate lines, auxiliaries per sentence).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .vocab import (AUXILIARIES, DETERMINERS, NOUNS_PLURAL, NOUNS_SINGULAR, PREPOSITIONS,
                    RELATIVISERS, VERBS_INTRANSITIVE, VERBS_TRANSITIVE)

NOUNS = set(NOUNS_SINGULAR + NOUNS_PLURAL)

NP_SHAPES = ("bare", "pp", "rc")
RC_KINDS = ("subject_gap_intransitive", "object_gap", "subject_gap_transitive")


@dataclass(frozen=True)
class Shape:
    """The shape of one declarative: modifiers of subject and object, RC kinds, the verb type."""
    subject: str                  # "bare" | "pp" | "rc"
    subject_rc: str | None        # one of RC_KINDS when subject == "rc"
    intransitive: bool            # main verb intransitive (no object)
    object: str | None            # "bare" | "pp" | "rc"; None when intransitive
    object_rc: str | None
    auxiliaries: int


def _noun_phrase(words: list[str], i: int) -> tuple[str, str | None, int]:
    """(shape, rc kind, index after the NP) of the noun phrase starting at words[i] (Det N ...)."""
    if words[i] not in DETERMINERS or words[i + 1] not in NOUNS:
        raise IndexError
    j = i + 2
    if j < len(words) and words[j] in PREPOSITIONS:
        return "pp", None, j + 3
    if j < len(words) and words[j] in RELATIVISERS:
        if words[j + 1] in AUXILIARIES:
            if words[j + 2] in VERBS_INTRANSITIVE:
                return "rc", "subject_gap_intransitive", j + 3
            return "rc", "subject_gap_transitive", j + 5
        return "rc", "object_gap", j + 5
    return "bare", None, j


def shape(source) -> Shape:
    """Shape of a declarative (without its final `.`); ValueError when the words do not parse."""
    words = list(source)
    try:
        subject, subject_rc, i = _noun_phrase(words, 0)
        if words[i] not in AUXILIARIES:
            raise IndexError
        rest = words[i + 1:]
        if rest[0] in VERBS_INTRANSITIVE:
            obj, object_rc, end = None, None, i + 2
        elif rest[0] in VERBS_TRANSITIVE:
            obj, object_rc, end = _noun_phrase(words, i + 2)
        else:
            raise IndexError
    except IndexError:
        raise ValueError(f"not a sentence of McCoy et al.'s grammar: {' '.join(words)!r}") from None
    if end != len(words):
        raise ValueError(f"not a sentence of McCoy et al.'s grammar: {' '.join(words)!r}")
    return Shape(subject, subject_rc, obj is None, obj, object_rc,
                 sum(w in AUXILIARIES for w in words))


def summarise(pairs) -> dict:
    """Proportions (0-1) over the pairs: the figures issue 13 compares with McCoy et al.'s files.

    Keys: `pairs`; `subject_rc`, `intransitive_main_verb`, `object_rc`, `questions` (shares of
    all pairs); `duplicate_lines` (pairs whose line repeats an earlier one, a count);
    `three_auxiliaries` (share of sentences with three auxiliaries: RCs on subject and object);
    `subject_rc_questions` (share of pairs that are questions from subject-RC sentences, 0 in
    McCoy et al.'s train/dev/test, 1 in their generalisation set); and the RC-kind shares among
    subject and object RCs (`subject_rc_<kind>`, `object_rc_<kind>`).
    """
    pairs = list(pairs)
    if not pairs:
        raise ValueError("question-formation statistics: no pairs")
    n = len(pairs)
    shapes = [shape(p.source) for p in pairs]
    lines = Counter(p.line() for p in pairs)
    out = dict(
        pairs=n,
        subject_rc=sum(s.subject == "rc" for s in shapes) / n,
        intransitive_main_verb=sum(s.intransitive for s in shapes) / n,
        object_rc=sum(s.object == "rc" for s in shapes) / n,
        questions=sum(p.marker == "quest" for p in pairs) / n,
        duplicate_lines=sum(c - 1 for c in lines.values()),
        three_auxiliaries=sum(s.auxiliaries == 3 for s in shapes) / n,
        subject_rc_questions=sum(p.marker == "quest" and s.subject == "rc"
                                 for p, s in zip(pairs, shapes)) / n,
    )
    for role in ("subject", "object"):
        kinds = Counter(getattr(s, f"{role}_rc") for s in shapes if getattr(s, role) == "rc")
        total = sum(kinds.values())
        for kind in RC_KINDS:
            out[f"{role}_rc_{kind}"] = kinds[kind] / total if total else float("nan")
    return out
