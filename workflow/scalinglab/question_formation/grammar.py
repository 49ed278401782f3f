"""A probabilistic context-free generator of McCoy, Frank & Linzen (2020) question-formation pairs.

Niu et al. 2024 §6.3 train a vanilla Transformer on McCoy et al.'s question-formation data
(68-word vocabulary, ≈2M tokens). This module regenerates data of that kind offline. The rules
follow McCoy et al.'s grammar (their cfgs/question.gr):

    S      -> NP_M(num) Aux(num) VP                 num ∈ {sg, pl}, 1/2 each
    NP_M   -> Det N(num) | Det N(num) Prep Det N | Det N(num) RC(num)
    NP_O   -> the same three shapes, with its own number (1/2 each)
    VP     -> V_intrans | V_trans NP_O
    RC(num)-> Rel Aux(num) V_intrans | Rel Det N(m) Aux(m) V_trans (m ∈ {sg, pl}, 1/2 each)
            | Rel Aux(num) V_trans Det N
    N      -> any of the 26 noun forms

Agreement: the main auxiliary agrees with the subject noun, an RC's auxiliary with the RC's own
subject (object-gap RC) or head noun (subject-gap RC). Terminals are uniform within their class.

Weights. cfgs/question.gr gives 1/3 per NP shape, 1/2 per VP and 1/3 per RC kind
(:data:`QUESTION_GR`); McCoy et al.'s generalisation file (data/question.gen) follows them. Their
released train/dev/test files do not: McCoy et al. post-processed the grammar's output, and
data/question.test holds 11% intransitive main verbs (the rule says 50%) and 35% object RCs (the
rule says 17%). :data:`RELEASED` therefore takes its weights from the shape counts of that file
(listed there); the released files' other facts are mechanisms, reproduced as such (issue 13):

- each sentence is made a question or a copy with probability 1/2, then the questions whose
  subject carries a relative clause are dropped (not turned into copies), which gives ≈40%
  questions and removes the only examples that tell "front the first auxiliary" from "front the
  main auxiliary": the training data are ambiguous (McCoy et al. §3);
- no line occurs twice (a repeated draw is discarded), train and test are disjoint.

The task (McCoy et al. §2): `decl` copies the declarative, `quest` fronts the MAIN-clause
auxiliary (the one that agrees with the subject head), leaving any auxiliary inside a relative
clause in place, and ends with `?`. :func:`generalisation_pairs` builds the held-out questions
whose subject has a relative clause; like McCoy et al.'s question.gen, their object never has one
(two auxiliaries, never three).

Every pair carries the exact log-probability of its source sentence and marker under the sampling
distribution (the grammar is unambiguous, so derivation and string probabilities agree; the drop
of subject-RC questions renormalises); :func:`entropy_rate` turns them into the irreducible
next-token loss of a language model over `source . marker target`. Discarding repeated lines
makes the few short sentences whose space is small (2,808 bare-subject intransitive sentences)
rarer than that distribution says once a set holds thousands of them; the rate ignores that.
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


@dataclass(frozen=True)
class Weights:
    """Relative weights of the grammar's choices (each tuple is normalised where it is used).

    Shapes of a noun phrase: (bare, PP, RC); relative-clause kinds: (subject gap intransitive,
    object gap, subject gap transitive), as in statistics.RC_KINDS; the predicate:
    (intransitive, transitive).
    """
    subject: tuple[float, float, float]
    subject_rc: tuple[float, float, float]
    predicate: tuple[float, float]
    object: tuple[float, float, float]
    object_rc: tuple[float, float, float]

    def subject_rc_probability(self) -> float:
        return self.subject[2] / sum(self.subject)


# McCoy et al.'s cfgs/question.gr: NP shapes 1:1:1, VP 1:1, RC rules 2:1:1:2 (the two object-gap
# rules, one per inner number, add up to 2). Their data/question.gen follows these weights: RC
# kinds 32/33/35% (1/3 each), intransitive main verbs 59% (the rule's 1/2 once object RCs are
# excluded: 0.5 / (0.5 + 0.5 · 2/3) = 0.6).
QUESTION_GR = Weights(subject=(1, 1, 1), subject_rc=(2, 2, 2), predicate=(1, 1), object=(1, 1, 1),
                      object_rc=(2, 2, 2))

# Shape counts of McCoy et al.'s data/question.test (10,000 pairs; statistics.shape). The subject
# from the 5,966 declaratives (bare 2701, PP 1433, RC 1832 of which subject gap intransitive 469,
# object gap 905, subject gap transitive 458): the dropped questions were those with an RC subject,
# so the declaratives keep the subject distribution from before the drop. Predicate and object from
# all 10,000 (intransitive 1123; object bare 2584, PP 2767, RC 3526 of which 1721 / 893 / 912).
RELEASED = Weights(subject=(2701, 1433, 1832), subject_rc=(469, 905, 458), predicate=(1123, 8877),
                   object=(2584, 2767, 3526), object_rc=(1721, 893, 912))


def _noun(s: _Sampler, plural: bool) -> str:
    return s.pick(NOUNS_PLURAL if plural else NOUNS_SINGULAR)


def _aux(s: _Sampler, plural: bool) -> str:
    return s.pick(AUX_PLURAL if plural else AUX_SINGULAR)


def _any_noun(s: _Sampler) -> str:
    return s.pick(NOUNS_SINGULAR + NOUNS_PLURAL)


def _relative_clause(s: _Sampler, plural: bool, kinds) -> list[str]:
    rel = s.pick(RELATIVISERS)
    kind = s.weighted(kinds)
    if kind == 0:  # subject gap, intransitive
        return [rel, _aux(s, plural), s.pick(VERBS_INTRANSITIVE)]
    if kind == 1:  # object gap: the RC's own subject decides its auxiliary
        inner_plural = s.weighted([1, 1]) == 1
        return [rel, s.pick(DETERMINERS), _noun(s, inner_plural), _aux(s, inner_plural),
                s.pick(VERBS_TRANSITIVE)]
    return [rel, _aux(s, plural), s.pick(VERBS_TRANSITIVE), s.pick(DETERMINERS), _any_noun(s)]


def _noun_phrase(s: _Sampler, plural: bool, shapes, kinds,
                 modifier: int | None = None) -> tuple[list[str], bool]:
    """Det N [PP | RC]; returns the words and whether an RC was attached."""
    if modifier is None:
        modifier = s.weighted(shapes)
    words = [s.pick(DETERMINERS), _noun(s, plural)]
    if modifier == 1:
        words += [s.pick(PREPOSITIONS), s.pick(DETERMINERS), _any_noun(s)]
    elif modifier == 2:
        words += _relative_clause(s, plural, kinds)
    return words, modifier == 2


def sample_sentence(rng: random.Random, weights: Weights = RELEASED,
                    subject_modifier: int | None = None, object_rc: bool = True):
    """(words, main_aux_index, subject_has_rc, ln p) of one declarative (without its `.`).

    `subject_modifier` forces the subject's shape (0 bare, 1 PP, 2 RC); its probability is then
    left out of ln p (the caller conditions on it). `object_rc=False` conditions the sentence on an
    object without a relative clause (a rejected predicate is redrawn; ln p is conditional).
    """
    s = _Sampler(rng)
    plural = s.weighted([1, 1]) == 1
    subject, subject_rc = _noun_phrase(s, plural, weights.subject, weights.subject_rc,
                                       subject_modifier)
    main_aux = _aux(s, plural)
    while True:  # object_rc=False: redraw the (independent) predicate until its object has no RC
        p = _Sampler(rng)
        if p.weighted(weights.predicate) == 0:
            predicate, has_rc = [p.pick(VERBS_INTRANSITIVE)], False
        else:
            obj, has_rc = _noun_phrase(p, p.weighted([1, 1]) == 1, weights.object, weights.object_rc)
            predicate = [p.pick(VERBS_TRANSITIVE), *obj]
        if object_rc or not has_rc:
            break
    s.logp += p.logp
    if not object_rc:  # condition on "no object RC"
        transitive = weights.predicate[1] / sum(weights.predicate)
        s.logp -= math.log(1.0 - transitive * weights.object[2] / sum(weights.object))
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


def _unique_pairs(n_pairs: int, draw, what: str) -> list[Pair]:
    """`n_pairs` pairs from `draw()` (None = rejected), each line once, in drawing order."""
    if n_pairs < 1:
        raise ValueError(f"n_pairs={n_pairs} must be at least 1")
    seen, out = set(), []
    budget = 20 * n_pairs + 1000  # the grammar has ~10^9 lines; exhausting it means a bad config
    for _ in range(budget):
        pair = draw()
        if pair is None:
            continue
        line = pair.line()
        if line in seen:
            continue
        seen.add(line)
        out.append(pair)
        if len(out) == n_pairs:
            return out
    raise ValueError(f"{what}: only {len(out)} distinct lines in {budget} draws; ask for fewer "
                     f"than {n_pairs} pairs")


def generate_pairs(n_pairs: int, seed: int, quest_fraction: float = 0.5,
                   withhold_subject_rc_questions: bool = True,
                   weights: Weights = RELEASED) -> list[Pair]:
    """`n_pairs` distinct training pairs, deterministic in `seed` (McCoy et al.'s train/test).

    Each sentence becomes a question with probability `quest_fraction` (else a copy); with
    `withhold_subject_rc_questions`, questions whose subject has a relative clause are dropped.
    """
    if not 0.0 <= quest_fraction <= 1.0:
        raise ValueError(f"quest_fraction={quest_fraction} must lie in [0, 1]")
    rng = random.Random(seed)
    kept = 1.0 - (quest_fraction * weights.subject_rc_probability()
                  if withhold_subject_rc_questions else 0.0)
    if kept <= 0:
        raise ValueError("quest_fraction=1 with every subject an RC leaves no pair to keep")

    def draw():
        words, aux_i, subject_rc, logp = sample_sentence(rng, weights)
        quest = rng.random() < quest_fraction
        if quest and subject_rc and withhold_subject_rc_questions:
            return None  # dropped, not turned into a copy
        marker = "quest" if quest else "decl"
        p_marker = quest_fraction if quest else 1.0 - quest_fraction
        return Pair(tuple(words), marker, transform(words, marker, aux_i), aux_i, subject_rc,
                    logp + math.log(p_marker) - math.log(kept))

    return _unique_pairs(n_pairs, draw, "question-formation generator")


def generalisation_pairs(n_pairs: int, seed: int, weights: Weights = QUESTION_GR) -> list[Pair]:
    """Distinct questions whose subject carries a relative clause (McCoy et al.'s generalisation set).

    Only here do "front the first auxiliary" and "front the main auxiliary" disagree whenever the
    RC holds an auxiliary (always, in this grammar); first-word accuracy on these is the
    hierarchical-generalisation signal. As in McCoy et al.'s question.gen, the weights are those of
    cfgs/question.gr and the object carries no RC (two auxiliaries per sentence, never three).
    """
    rng = random.Random(seed)

    def draw():
        words, aux_i, subject_rc, logp = sample_sentence(rng, weights, subject_modifier=2,
                                                         object_rc=False)
        return Pair(tuple(words), "quest", transform(words, "quest", aux_i), aux_i, subject_rc,
                    logp)

    return _unique_pairs(n_pairs, draw, "question-formation generalisation set")


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
