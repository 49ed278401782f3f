"""The floor of the question-formation training loss: the entropy of the sequences it is scored on.

The trainer draws lines uniformly from the training file and scores every token after the first
(`question_formation.train._losses`: mean over the predicted tokens). Lines are prefix-free (a
line ends at the first `.` or `?` after its marker), so a predictor that knows the training set
pays exactly H(line) − H(first token) nats on a line, by the chain rule; per predicted token, as
a ratio of expectations,

    floor = [H(line) − H(X_0)] / E[len(line) − 1],

with the entropies of the empirical distribution of the training lines. That is Niu et al. §5
Remark 2's "entropy of the training samples", the minimum an over-parameterised model reaches by
memorising. A model that learns the grammar without memorising sits at the grammar's entropy
rate instead (`grammar.entropy_rate`, known for generated data), which is the floor on unseen
lines.
"""
from __future__ import annotations

import math
from collections import Counter

from .grammar import Pair


def _entropy(counts) -> float:
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts if c)


def sample_entropy_floor(pairs: list[Pair]) -> float:
    """Lowest mean loss per predicted token on lines drawn uniformly from `pairs` (nats)."""
    if not pairs:
        raise ValueError("sample_entropy_floor needs at least one pair")
    sequences = [tuple(p.sequence()) for p in pairs]
    h_line = _entropy(Counter(sequences).values())
    h_first = _entropy(Counter(s[0] for s in sequences).values())
    predicted = sum(len(s) - 1 for s in sequences) / len(sequences)
    return (h_line - h_first) / predicted
