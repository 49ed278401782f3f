"""The entropy floor of the question-formation training loss, against brute-force enumeration."""
import itertools
import math
from collections import Counter

import pytest

from scalinglab.question_formation.floors import sample_entropy_floor
from scalinglab.question_formation.grammar import Pair


def _pair(words, marker="decl"):
    src = tuple(words)
    return Pair(source=src, marker=marker, target=src + (".",), main_aux_index=1,
                subject_has_rc=False, logprob=math.nan)


def brute_force(pairs):
    """Sum over lines of p(line) x the optimal sequential code length of every token but the
    first, each conditional computed by counting the lines that share the prefix."""
    seqs = [tuple(p.sequence()) for p in pairs]
    counts = Counter(seqs)
    total = len(seqs)
    loss = 0.0
    for s, c in counts.items():
        for t in range(1, len(s)):
            prefix_mass = sum(n for q, n in counts.items() if q[:t] == s[:t])
            next_mass = sum(n for q, n in counts.items() if q[:t + 1] == s[:t + 1])
            loss += c / total * -math.log(next_mass / prefix_mass)
    return loss / (sum(len(s) - 1 for s in seqs) / total)


def test_floor_matches_enumeration_with_duplicates_and_shared_prefixes():
    words = ["the", "a"], ["dog", "cat", "newt"], ["can", "does"], ["sleep", "read"]
    pairs = [_pair(w, m) for w in itertools.product(*words) for m in ("decl", "quest")][:17]
    pairs += pairs[:5]  # duplicates weigh double
    assert sample_entropy_floor(pairs) == pytest.approx(brute_force(pairs), rel=1e-12)


def test_one_line_repeated_has_zero_floor():
    assert sample_entropy_floor([_pair(["the", "dog", "can", "sleep"])] * 3) == 0.0
    with pytest.raises(ValueError):
        sample_entropy_floor([])


def test_figure_draws_the_floor_and_the_claim_not_a_bound(tmp_path):
    import matplotlib
    import numpy as np
    import pandas as pd

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from scalinglab.question_formation.figures import fig4

    steps = np.arange(300)
    loss = pd.DataFrame(dict(step=steps, loss=np.linspace(3, 1, 300), target_loss=np.linspace(2, 0, 300)))
    evals = pd.DataFrame(dict(step=[0, 299, 0, 299], split=["test", "test", "gen", "gen"],
                              sequence_accuracy=[0, 0.9, 0, 0.4], first_word_accuracy=[0, 1, 0, 0.5]))
    captured = {}
    original = plt.Figure.savefig

    def grab(fig, *a, **k):
        captured["labels"] = [t.get_text() for ax in fig.axes for t in
                              (ax.get_legend().get_texts() if ax.get_legend() else [])]
        return original(fig, *a, **k)

    plt.Figure.savefig = grab
    try:
        fig4(loss, evals, 1.25, 0.98, tmp_path / "qf.png", sample_floor=0.6,
                                log_patterns_per_dim=0.17)
    finally:
        plt.Figure.savefig = original
    labels = " | ".join(captured["labels"])
    assert "true floor (0.60)" in labels and "claim ≈ 1 nat" in labels and "ln d ≪ n: here 0.17" in labels
    assert "bound" not in labels
    assert (tmp_path / "qf.png").stat().st_size > 10_000


def test_trainer_loss_of_a_perfect_memoriser_is_the_floor():
    """The floor and the trained loss count the same tokens: the trainer's own loss
    (train._batch + train._losses: every non-pad token after the first, the marker and the target
    included) of a predictor that knows the training lines equals sample_entropy_floor."""
    import torch

    from scalinglab.question_formation.grammar import generate_pairs
    from scalinglab.question_formation.train import _batch, _losses, encode_pairs
    from scalinglab.question_formation.vocab import MODEL_VOCAB_SIZE

    pairs = generate_pairs(60, seed=3)
    seqs = encode_pairs(pairs)
    lines = [tuple(s.tolist()) for s in seqs]

    class Memoriser(torch.nn.Module):
        def forward(self, inputs):  # logits = log of next-token counts among lines sharing the prefix
            logits = torch.full((*inputs.shape, MODEL_VOCAB_SIZE), -1e9, dtype=torch.float64)
            for b, row in enumerate(inputs.tolist()):
                for t in range(len(row)):
                    nxt = Counter(q[t + 1] for q in lines if len(q) > t + 1 and list(q[:t + 1]) == row[:t + 1])
                    for tok, c in nxt.items():
                        logits[b, t, tok] = math.log(c)
            return logits, None

    inputs, targets, after = _batch(seqs)  # the whole training set as one batch: a ratio of sums
    loss, _, target_loss, n = _losses(Memoriser(), inputs, targets, after)
    assert n == sum(len(q) - 1 for q in lines)
    assert float(loss) == pytest.approx(sample_entropy_floor(pairs), rel=1e-6)  # float32 logits
    assert float(target_loss) == pytest.approx(0.0, abs=1e-6)  # the target is a function of the source
