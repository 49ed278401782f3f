"""A tiny question-formation run (Niu et al. 2024 §6.3 set-up) learns, logs every step, resumes."""
import csv
import json

import pytest
import torch

from scalinglab.question_formation import grammar
from scalinglab.question_formation.train import LOSS_COLUMNS, QFTrainConfig, evaluate, train_question_formation


@pytest.fixture(scope="module")
def tiny_data():
    return (grammar.generate_pairs(400, seed=0), grammar.generate_pairs(40, seed=1),
            grammar.generalisation_pairs(40, seed=2))


def _cfg(**kw):
    base = dict(n_layer=1, n_head=2, n_embd=32, max_steps=120, batch_size=16, lr=3e-3,
                warmup_steps=10, eval_every=60, eval_pairs=40, checkpoint_every=40, device="cpu")
    base.update(kw)
    return QFTrainConfig(**base)


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_tiny_run_lowers_its_loss_and_logs_every_step(tmp_path, tiny_data):
    torch.set_num_threads(1)
    train, test, gen = tiny_data
    summary = train_question_formation(train, {"test": test, "gen": gen}, tmp_path, _cfg(),
                                       log=lambda m: None)
    rows = _rows(tmp_path / "loss.csv")
    assert [int(r["step"]) for r in rows] == list(range(120))
    assert list(rows[0]) == LOSS_COLUMNS
    first = sum(float(r["loss"]) for r in rows[:10]) / 10
    last = sum(float(r["loss"]) for r in rows[-10:]) / 10
    assert first > 4.0 and last < first - 1.5  # from ln 68 ≈ 4.2 to grammar statistics
    evals = _rows(tmp_path / "eval.csv")
    assert {int(r["step"]) for r in evals} == {0, 60, 120}
    assert summary["final"]["test"]["loss"] < float(evals[0]["loss"]) - 1.0
    assert json.loads((tmp_path / "summary.json").read_text())["steps"] == 120


def test_resume_replays_exactly(tmp_path, tiny_data):
    torch.set_num_threads(1)
    train, test, _ = tiny_data
    full = tmp_path / "full"
    train_question_formation(train, {"test": test}, full, _cfg(max_steps=80, eval_every=1000),
                             log=lambda m: None)
    # An interrupted run: stopped at step 40 (checkpointed there), then resumed to 80.
    part = tmp_path / "part"
    assert train_question_formation(train, {"test": test}, part, _cfg(max_steps=80, eval_every=1000),
                                    log=lambda m: None, stop_at=40) is None
    assert not (part / "summary.json").exists() and not (part / "loss.csv").exists()
    assert len(_rows(part / "progress_loss.csv")) == 40
    messages = []
    train_question_formation(train, {"test": test}, part, _cfg(max_steps=80, eval_every=1000),
                             log=messages.append)
    assert any("resuming" in m and "step 40" in m for m in messages)
    a, b = _rows(full / "loss.csv"), _rows(part / "loss.csv")
    assert [r["step"] for r in b] == [str(i) for i in range(80)]
    assert [r["loss"] for r in a] == [r["loss"] for r in b]


def test_unreadable_checkpoint_is_a_one_line_error(tmp_path, tiny_data):
    train, test, _ = tiny_data
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="unreadable checkpoint.*delete it") as err:
        train_question_formation(train, {"test": test}, tmp_path, _cfg(max_steps=2),
                                 log=lambda m: None)
    assert "\n" not in str(err.value)


def test_evaluate_scores_a_perfect_copy_model():
    """Accuracy plumbing: a model that always outputs the right next token scores 1.0."""
    pairs = grammar.generate_pairs(30, seed=9) + grammar.generalisation_pairs(10, seed=9)
    from scalinglab.question_formation.vocab import MODEL_VOCAB_SIZE, encode

    table = {}
    for p in pairs:
        seq = encode(p.sequence())
        for i in range(1, len(seq)):
            table[tuple(seq[:i])] = seq[i]

    class Oracle(torch.nn.Module):
        def forward(self, idx):
            logits = torch.zeros(idx.size(0), idx.size(1), MODEL_VOCAB_SIZE)
            for b in range(idx.size(0)):
                for t in range(idx.size(1)):
                    nxt = table.get(tuple(idx[b, :t + 1].tolist()))
                    if nxt is not None:
                        logits[b, t, nxt] = 50.0
            return logits, None

    res = evaluate(Oracle(), pairs, "cpu")
    assert res["sequence_accuracy"] == 1.0 and res["first_word_accuracy"] == 1.0
    assert res["question_first_word_accuracy"] == 1.0
