"""The floor the trainer can reach on the Zipf-facts corpus, against brute-force enumeration."""
import itertools
import math
from collections import defaultdict

import numpy as np
import pytest

from scalinglab.data.synthetic import SyntheticCorpus, window_entropy_floor
from scalinglab.data.tokens import DataError
from scalinglab.train.data import TokenWindows

TINY = dict(documents=400, vocab_size=5, n_facts=3, fact_length=2, facts_per_document=2, alpha=0.8,
            seed=3)


def _meta(corpus):
    return dict(corpus.sidecar(), seed=corpus.seed, tokens=corpus.tokens, source="synthetic")


def _entropy(probs):
    p = np.array(list(probs))
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def brute_force_floor(corpus, block_size):
    """[H(X_0..X_T) - H(X_0)] / T by enumerating every window string, phases taken from the
    real token file cut the trainer's way (phase = tokens since the last end-of-text)."""
    tokens = np.concatenate(list(corpus.iter_documents())).ravel()
    windows = TokenWindows(tokens, block_size, "tiny")
    starts = np.arange(windows.n_windows) * block_size
    eot_positions = np.flatnonzero(tokens == corpus.eot_token)
    # phase of a start: distance from the previous document's end-of-text (+1), 0 at file start
    prev = np.searchsorted(eot_positions, starts, side="left") - 1
    phases = np.where(prev >= 0, starts - eot_positions[np.maximum(prev, 0)] - 1, starts)
    L, ell, T = corpus.document_tokens, corpus.fact_length, block_size
    table = corpus.facts(np.random.default_rng(corpus.seed))
    p = corpus.frequencies()
    strings, first = defaultdict(float), defaultdict(float)
    phase_values, counts = np.unique(phases, return_counts=True)
    for phi, count in zip(phase_values, counts / counts.sum()):
        positions = np.arange(phi, phi + T + 1)
        slots = sorted({(q // L, (q % L) // ell) for q in positions if q % L != L - 1})
        for choice in itertools.product(range(corpus.n_facts), repeat=len(slots)):
            fact_of = dict(zip(slots, choice))
            prob = count * np.prod(p[list(choice)])
            s = tuple(corpus.eot_token if q % L == L - 1 else
                      int(table[fact_of[(q // L, (q % L) // ell)], (q % L) % ell]) for q in positions)
            strings[s] += prob
            first[s[0]] += prob
    return (_entropy(strings.values()) - _entropy(first.values())) / T


@pytest.mark.parametrize("block_size", [3, 4, 5, 6, 9, 11])
def test_exact_floor_matches_enumeration_when_windows_hold_an_eot(block_size):
    corpus = SyntheticCorpus(**TINY)
    floor = window_entropy_floor(_meta(corpus), block_size)
    assert floor.exact and floor.lo == floor.hi
    assert floor.value == pytest.approx(brute_force_floor(corpus, block_size), rel=1e-9)


@pytest.mark.parametrize("block_size", [1, 2])
def test_short_windows_give_a_bound_holding_the_enumerated_floor(block_size):
    corpus = SyntheticCorpus(**TINY)
    floor = window_entropy_floor(_meta(corpus), block_size)
    truth = brute_force_floor(corpus, block_size)
    assert floor.lo - 1e-12 <= truth <= floor.hi + 1e-12
    assert not floor.exact and floor.lo < floor.hi


def test_floor_exceeds_the_phase_known_entropy_rate_unless_windows_align():
    corpus = SyntheticCorpus(**{**TINY, "vocab_size": 64, "n_facts": 40, "fact_length": 3,
                                "facts_per_document": 4})
    L = corpus.document_tokens
    aligned = window_entropy_floor(_meta(corpus), L)  # every window starts a document
    assert aligned.value == pytest.approx(corpus.entropy_per_token_nats(), rel=1e-12)
    for block_size in (L - 1, 2 * L - 3, 3 * L + 1):
        assert window_entropy_floor(_meta(corpus), block_size).value > corpus.entropy_per_token_nats() + 1e-3


def test_demo_corpus_floor_at_block_64():
    """The demo's numbers: 65-token documents, 64-token windows -> about 0.78, not 0.736."""
    corpus = SyntheticCorpus(documents=600, vocab_size=512, n_facts=2000, fact_length=4,
                             facts_per_document=16, alpha=0.5, seed=1337)
    floor = window_entropy_floor(_meta(corpus), 64)
    assert floor.exact
    assert 0.77 < floor.value < 0.80
    assert floor.phase_known == pytest.approx(0.7358, abs=1e-3)


def test_real_text_sidecar_is_refused_in_one_line():
    with pytest.raises(DataError, match="synthetic"):
        window_entropy_floor({"source": "openwebtext", "tokens": 100}, 64)


def test_trainer_floor_of_the_fits_reads_block_sizes_from_the_runs(tmp_path):
    import json

    from scalinglab.fits.runs import trainer_floor

    corpus = SyntheticCorpus(**TINY)
    (tmp_path / "val.json").write_text(json.dumps(_meta(corpus)))
    paths = []
    for i, b in enumerate((4, 9, 9)):
        p = tmp_path / f"s{i}.json"
        p.write_text(json.dumps({"block_size": b}))
        paths.append(p)
    one = trainer_floor(tmp_path / "val.json", paths[1:])
    assert one == window_entropy_floor(_meta(corpus), 9)
    both = trainer_floor(tmp_path / "val.json", paths)
    f4, f9 = (window_entropy_floor(_meta(corpus), b) for b in (4, 9))
    assert both.lo == min(f4.lo, f9.lo) and both.hi == max(f4.hi, f9.hi) and not both.exact
    (tmp_path / "owt.json").write_text(json.dumps({"source": "openwebtext", "tokens": 10}))
    assert trainer_floor(tmp_path / "owt.json", paths) is None
