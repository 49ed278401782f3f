"""The synthetic Zipf-facts corpus: determinism, distinct facts, and the closed-form entropy rate."""
import hashlib
import math

import numpy as np
import pytest

from scalinglab.data.synthetic import SyntheticCorpus
from scalinglab.data.tokens import DataError

SMALL = dict(documents=3000, vocab_size=64, n_facts=200, fact_length=3, facts_per_document=8, alpha=0.7, seed=11)


def corpus_bytes(corpus):
    return b"".join(batch.tobytes() for batch in corpus.iter_documents())


def test_same_seed_same_corpus_and_pinned_digest():
    a, b = SyntheticCorpus(**SMALL), SyntheticCorpus(**SMALL)
    assert corpus_bytes(a) == corpus_bytes(b)
    assert corpus_bytes(SyntheticCorpus(**{**SMALL, "seed": 12})) != corpus_bytes(a)
    # Pinned: the corpus must be identical on every machine (PCG64 stream, pinned numpy).
    digest = hashlib.sha256(corpus_bytes(a)).hexdigest()
    assert digest == PINNED_SMALL_SHA256, digest


PINNED_SMALL_SHA256 = "b87fac181c75600c86c60421332300923c15fc93a971787368fc3565fabf4e7a"


def test_documents_are_facts_then_eot_and_facts_distinct():
    c = SyntheticCorpus(**SMALL)
    docs = np.concatenate(list(c.iter_documents()))
    assert docs.shape == (c.documents, c.document_tokens)
    assert (docs[:, -1] == c.eot_token).all()
    assert docs[:, :-1].max() < c.eot_token  # fact tokens never collide with end-of-text
    table = c.facts(np.random.default_rng(c.seed))
    assert np.unique(table, axis=0).shape[0] == c.n_facts


def test_fact_frequencies_follow_zipf():
    c = SyntheticCorpus(**{**SMALL, "documents": 20000})
    table = c.facts(np.random.default_rng(c.seed))
    lookup = {row.tobytes(): k for k, row in enumerate(table)}
    docs = np.concatenate(list(c.iter_documents()))[:, :-1]
    facts = docs.reshape(-1, c.fact_length)
    counts = np.bincount([lookup[f.tobytes()] for f in facts], minlength=c.n_facts)
    p = c.frequencies()
    assert np.allclose(p, np.arange(1, c.n_facts + 1) ** -(c.alpha + 1) / (np.arange(1, c.n_facts + 1) ** -(c.alpha + 1)).sum())
    # the top facts' empirical frequencies within 5 standard errors of p_k
    n = facts.shape[0]
    top = slice(0, 10)
    assert np.all(np.abs(counts[top] / n - p[top]) < 5 * np.sqrt(p[top] * (1 - p[top]) / n))


def test_entropy_rate_closed_form_matches_empirical_code_length():
    """-log p of the generated facts, per token, converges to m H(p) / (m l + 1)."""
    c = SyntheticCorpus(**{**SMALL, "documents": 20000})
    p = c.frequencies()
    h = -(p * np.log(p)).sum()
    expected = c.facts_per_document * h / (c.facts_per_document * c.fact_length + 1)
    assert c.entropy_per_token_nats() == pytest.approx(expected, rel=1e-12)
    assert c.sidecar()["entropy_per_token_nats"] == pytest.approx(expected, rel=1e-12)
    table = c.facts(np.random.default_rng(c.seed))
    lookup = {row.tobytes(): k for k, row in enumerate(table)}
    docs = np.concatenate(list(c.iter_documents()))
    facts = docs[:, :-1].reshape(-1, c.fact_length)
    code_length = -np.log(p[[lookup[f.tobytes()] for f in facts]]).sum()
    assert code_length / docs.size == pytest.approx(expected, rel=0.01)
    assert expected < math.log(c.vocab_size)


@pytest.mark.parametrize(
    "bad, key",
    [
        (dict(alpha=0.0), "alpha"),
        (dict(n_facts=5000, vocab_size=8, fact_length=2), "n_facts"),
        (dict(vocab_size=70000), "vocab_size"),
        (dict(documents=0), "documents"),
    ],
)
def test_bad_parameters_name_the_key(bad, key):
    with pytest.raises(DataError, match=rf"data\.synthetic\.{key}"):
        SyntheticCorpus(**{**SMALL, **bad})
