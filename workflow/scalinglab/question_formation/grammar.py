"""A probabilistic context-free generator of McCoy, Frank & Linzen (2020) question-formation pairs.

Niu et al. 2024 §6.3 train a vanilla Transformer on McCoy et al.'s question-formation data
(68-word vocabulary, ≈2M tokens). This module regenerates data of that kind offline. The rules
and their weights follow McCoy et al.'s grammar (their cfgs/question.gr, checked against the
vocabulary and sentence shapes of data/question.{dev,test}):

    S      -> NP_M(num) Aux(num) VP                 num ∈ {sg, pl}, 1/2 each
    NP_M   -> Det N(num) | Det N(num) Prep Det N | Det N(num) RC(num)          1/3 each
    NP_O   -> the same three shapes, with its own number (1/2 each)
    VP     -> V_intrans | V_trans NP_O                                        1/2 each
    RC(num)-> Rel Aux(num) V_intrans (2/6) | Rel Det N(m) Aux(m) V_trans (1/6 per m)
            | Rel Aux(num) V_trans Det N (2/6)
    N      -> any of the 26 noun forms

Agreement: the main auxiliary agrees with the subject noun, an RC's auxiliary with the RC's own
subject (object-gap RC) or head noun (subject-gap RC). Terminals are uniform within their class.

The task (McCoy et al. §2): `decl` copies the declarative, `quest` fronts the MAIN-clause
auxiliary (the one that agrees with the subject head), leaving any auxiliary inside a relative
clause in place, and ends with `?`. As in McCoy et al.'s training set, questions can be withheld
from sentences whose subject carries a relative clause (there the first auxiliary is not the main
one), so the training data cannot tell the linear rule ("front the first auxiliary") from the
hierarchical one; :func:`generalisation_pairs` builds exactly those held-out questions.

Every pair carries the exact log-probability of its source sentence and marker under this PCFG
(the grammar is unambiguous, so derivation and string probabilities agree); :func:`entropy_rate`
turns them into the irreducible next-token loss of a language model over `source . marker target`.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass

from .vocab import (AUX_PLURAL, AUX_SINGULAR, DETERMINERS, NOUNS_PLURAL, NOUNS_SINGULAR,
                    PREPOSITIONS, RELATIVISERS, VERBS_INTRANSITIVE, VERBS_TRANSITIVE)


@dataclass(frozen=True)
class Pair:
    """One question-formation example: `source` is the declarative without its final `.`."""
    source: tuple[str, ...]
    marker: str  # "decl" | "quest"
    target: tuple[str, ...]  # ends with "." (decl) or "?" (quest)
    main_aux_index: int  # position of the main-clause auxiliary in `source`
    subject_has_rc: bool
    logprob: float  # ln p(source, marker) under the PCFG (nan for pairs read from files)

    def sequence(self) -> list[str]:
        """The model's token sequence: `source . marker target` (Niu et al. §6.3 data, one line)."""
        return [*self.source, ".", self.marker, *self.target]

    def line(self) -> str:
        """McCoy et al.'s file format: `<source> . decl|quest<TAB><target>`."""
        return f"{' '.join(self.source)} . {self.marker}\t{' '.join(self.target)}"


class _Sampler:
    """Draws terminals and rule choices, accumulating ln p of every choice made."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.logp = 0.0

    def pick(self, options):
        self.logp -= math.log(len(options))
        return options[self.rng.randrange(len(options))]

    def weighted(self, weights):
        total = sum(weights)
        i = self.rng.choices(range(len(weights)), weights=weights)[0]
        self.logp += math.log(weights[i] / total)
        return i


def _noun(s: _Sampler, plural: bool) -> str:
    return s.pick(NOUNS_PLURAL if plural else NOUNS_SINGULAR)


def _aux(s: _Sampler, plural: bool) -> str:
    return s.pick(AUX_PLURAL if plural else AUX_SINGULAR)


def _any_noun(s: _Sampler) -> str:
    return s.pick(NOUNS_SINGULAR + NOUNS_PLURAL)


def _relative_clause(s: _Sampler, plural: bool) -> list[str]:
    rel = s.pick(RELATIVISERS)
    kind = s.weighted([2, 1, 1, 2])
    if kind == 0:  # subject gap, intransitive
        return [rel, _aux(s, plural), s.pick(VERBS_INTRANSITIVE)]
    if kind in (1, 2):  # object gap: the RC's own subject decides its auxiliary
        inner_plural = kind == 2
        return [rel, s.pick(DETERMINERS), _noun(s, inner_plural), _aux(s, inner_plural),
                s.pick(VERBS_TRANSITIVE)]
    return [rel, _aux(s, plural), s.pick(VERBS_TRANSITIVE), s.pick(DETERMINERS), _any_noun(s)]


def _noun_phrase(s: _Sampler, plural: bool, modifier: int | None = None) -> tuple[list[str], bool]:
    """Det N [PP | RC]; returns the words and whether an RC was attached."""
    if modifier is None:
        modifier = s.weighted([1, 1, 1])
    words = [s.pick(DETERMINERS), _noun(s, plural)]
    if modifier == 1:
        words += [s.pick(PREPOSITIONS), s.pick(DETERMINERS), _any_noun(s)]
    elif modifier == 2:
        words += _relative_clause(s, plural)
    return words, modifier == 2


def sample_sentence(rng: random.Random, subject_modifier: int | None = None):
    """(words, main_aux_index, subject_has_rc, ln p) of one declarative (without its `.`).

    `subject_modifier` forces the subject's shape (0 bare, 1 PP, 2 RC); its probability is then
    left out of ln p (the caller conditions on it).
    """
    s = _Sampler(rng)
    plural = s.weighted([1, 1]) == 1
    subject, subject_rc = _noun_phrase(s, plural, subject_modifier)
    main_aux = _aux(s, plural)
    if s.weighted([1, 1]) == 0:
        predicate = [s.pick(VERBS_INTRANSITIVE)]
    else:
        obj, _ = _noun_phrase(s, s.weighted([1, 1]) == 1)
        predicate = [s.pick(VERBS_TRANSITIVE), *obj]
    words = [*subject, main_aux, *predicate]
    return words, len(subject), subject_rc, s.logp


def transform(source, marker: str, main_aux_index: int) -> tuple[str, ...]:
    """McCoy et al.'s transformation: copy (`decl`) or front the main-clause auxiliary (`quest`)."""
    source = list(source)
    if marker == "decl":
        return (*source, ".")
    if marker == "quest":
        aux = source[main_aux_index]
        return (aux, *source[:main_aux_index], *source[main_aux_index + 1:], "?")
    raise ValueError(f"marker {marker!r} must be 'decl' or 'quest'")


def _make_pair(rng, words, aux_i, subject_rc, logp, quest_fraction, withhold) -> Pair:
    if withhold and subject_rc:
        marker, logp_marker = "decl", 0.0  # questions withheld: the marker is certain
    else:
        quest = rng.random() < quest_fraction
        marker = "quest" if quest else "decl"
        p = quest_fraction if quest else 1.0 - quest_fraction
        logp_marker = math.log(p) if p > 0 else -math.inf
    return Pair(tuple(words), marker, transform(words, marker, aux_i), aux_i, subject_rc,
                logp + logp_marker)


def generate_pairs(n_pairs: int, seed: int, quest_fraction: float = 0.6,
                   withhold_subject_rc_questions: bool = True) -> list[Pair]:
    """`n_pairs` training pairs, deterministic in `seed` (McCoy et al.'s train/test distribution)."""
    if n_pairs < 1:
        raise ValueError(f"n_pairs={n_pairs} must be at least 1")
    if not 0.0 <= quest_fraction <= 1.0:
        raise ValueError(f"quest_fraction={quest_fraction} must lie in [0, 1]")
    rng = random.Random(seed)
    out = []
    for _ in range(n_pairs):
        words, aux_i, subject_rc, logp = sample_sentence(rng)
        out.append(_make_pair(rng, words, aux_i, subject_rc, logp, quest_fraction,
                              withhold_subject_rc_questions))
    return out


def generalisation_pairs(n_pairs: int, seed: int) -> list[Pair]:
    """Questions whose subject carries a relative clause (McCoy et al.'s generalisation set).

    Only here do "front the first auxiliary" and "front the main auxiliary" disagree whenever the
    RC holds an auxiliary (always, in this grammar); first-word accuracy on these is the
    hierarchical-generalisation signal.
    """
    rng = random.Random(seed)
    out = []
    for _ in range(n_pairs):
        words, aux_i, subject_rc, logp = sample_sentence(rng, subject_modifier=2)
        out.append(Pair(tuple(words), "quest", transform(words, "quest", aux_i), aux_i,
                        subject_rc, logp))
    return out


def entropy_rate(pairs: list[Pair]) -> float:
    """Irreducible next-token loss (nats/token) of a LM over `source . marker target`.

    Every token but the first is predicted; the first (a determiner, uniform over 6) is not, so
    its ln 6 leaves the numerator. The target is a function of source and marker, so all the
    information is ln p(source, marker). Ratio of sums = the expected per-token loss.
    """
    info = sum(-p.logprob - math.log(len(DETERMINERS)) for p in pairs)
    predicted = sum(len(p.sequence()) - 1 for p in pairs)
    return info / predicted


def token_count(pairs: list[Pair]) -> int:
    return sum(len(p.sequence()) for p in pairs)
