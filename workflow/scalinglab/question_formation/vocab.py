"""The 68-token question-formation vocabulary of McCoy, Frank & Linzen (2020).

Extracted from their public files (data/question.{dev,test}): 26 noun forms (13 singular,
13 plural), 6 determiners, 4 auxiliaries (do/does/don't/doesn't — the data hold no modals),
9 intransitive and 9 transitive verbs (bare forms after the auxiliary), 8 prepositions, the
relativisers who/that, the punctuation `.` and `?`, and the task markers `decl` and `quest`:
26 + 6 + 4 + 18 + 8 + 2 + 2 + 2 = 68. Token ids follow the order below; the model adds one
padding id (68) that is never a target.
"""
from __future__ import annotations

DETERMINERS = ["the", "some", "my", "your", "our", "her"]
NOUNS_SINGULAR = ["newt", "orangutan", "peacock", "quail", "raven", "salamander", "tyrannosaurus",
                  "unicorn", "vulture", "walrus", "xylophone", "yak", "zebra"]
NOUNS_PLURAL = ["newts", "orangutans", "peacocks", "quails", "ravens", "salamanders",
                "tyrannosauruses", "unicorns", "vultures", "walruses", "xylophones", "yaks", "zebras"]
AUX_SINGULAR = ["does", "doesn't"]
AUX_PLURAL = ["do", "don't"]
AUXILIARIES = AUX_SINGULAR + AUX_PLURAL
VERBS_INTRANSITIVE = ["giggle", "smile", "sleep", "swim", "wait", "move", "change", "read", "eat"]
VERBS_TRANSITIVE = ["entertain", "amuse", "high_five", "applaud", "confuse", "admire", "accept",
                    "remember", "comfort"]
PREPOSITIONS = ["around", "near", "with", "upon", "by", "behind", "above", "below"]
RELATIVISERS = ["who", "that"]
PUNCTUATION = [".", "?"]
MARKERS = ["decl", "quest"]

VOCAB: list[str] = (DETERMINERS + NOUNS_SINGULAR + NOUNS_PLURAL + AUXILIARIES + VERBS_INTRANSITIVE
                    + VERBS_TRANSITIVE + PREPOSITIONS + RELATIVISERS + PUNCTUATION + MARKERS)
assert len(VOCAB) == 68 and len(set(VOCAB)) == 68
TOKEN_ID: dict[str, int] = {tok: i for i, tok in enumerate(VOCAB)}
PAD_ID = len(VOCAB)  # padding only; never predicted
MODEL_VOCAB_SIZE = len(VOCAB) + 1


def encode(words: list[str]) -> list[int]:
    """Token ids of `words`; an unknown word is a one-line error naming it."""
    try:
        return [TOKEN_ID[w] for w in words]
    except KeyError as err:
        raise ValueError(f"word {err.args[0]!r} is not in the 68-token question-formation "
                         f"vocabulary (scalinglab.question_formation.vocab.VOCAB)") from None


def decode(ids) -> list[str]:
    return [VOCAB[int(i)] for i in ids if int(i) != PAD_ID]
