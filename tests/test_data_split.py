"""Validation split and nested subsets, by document."""
import numpy as np
import pytest

from scalinglab.data import split
from scalinglab.data.tokens import DataError


def test_val_fixed_and_subsets_nested_and_disjoint_from_val():
    val_a, subsets_a = split.split_documents(10_000, 0.01, [1.0, 0.1, 0.01, 0.001], seed=[3, 1])
    val_b, subsets_b = split.split_documents(10_000, 0.01, [0.001, 0.5], seed=[3, 1])
    assert np.array_equal(val_a, val_b)  # the same validation set whatever the fractions
    assert val_a.size == 100
    train = set(range(10_000)) - set(val_a.tolist())
    assert set(subsets_a[1.0].tolist()) == train
    sizes = {f: ids.size for f, ids in subsets_a.items()}
    assert sizes == {1.0: 9900, 0.1: 990, 0.01: 99, 0.001: 10}
    ordered = sorted(subsets_a, reverse=True)
    for big, small in zip(ordered, ordered[1:]):
        assert np.array_equal(subsets_a[big][: subsets_a[small].size], subsets_a[small])  # prefix => nested
    assert np.array_equal(subsets_a[0.001], subsets_b[0.001])
    assert not set(subsets_a[1.0].tolist()) & set(val_a.tolist())


def test_seed_changes_split_but_is_deterministic():
    a = split.split_documents(1000, 0.1, [0.5], seed=1)
    b = split.split_documents(1000, 0.1, [0.5], seed=1)
    c = split.split_documents(1000, 0.1, [0.5], seed=2)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])


def test_fractions_refer_to_total_documents_when_reading_a_prefix():
    total = 8_013_769
    needed = split.documents_needed(total, 0.0005, [0.01, 0.001])
    assert needed == round(0.0005 * total) + round(0.01 * (total - round(0.0005 * total)))
    assert needed < total // 50  # 1% of OpenWebText: only ~1% of it is read
    val, subsets = split.split_documents(needed, 0.0005, [0.01, 0.001], seed=0, total_documents=total)
    assert val.size == 4007
    assert subsets[0.01].size == needed - 4007
    assert subsets[0.001].size == round(0.001 * (total - 4007))


@pytest.mark.parametrize("fractions, match", [
    ([0.0], "outside"),
    ([1.5], "outside"),
    ([-0.1], "outside"),
    ([0.01, 0.01], "duplicates"),
    ([0.001, 0.0010000001], "duplicates"),
    ([], "empty"),
    (["0.1"], "outside"),
])
def test_bad_fractions(fractions, match):
    with pytest.raises(DataError, match=match):
        split.check_fractions(fractions)


def test_too_small_corpus_errors():
    with pytest.raises(DataError, match="empty"):
        split.split_documents(0, 0.1, [1.0], seed=0)
    with pytest.raises(DataError, match="too few"):
        split.split_documents(1, 0.1, [1.0], seed=0)
    with pytest.raises(DataError, match="selects none"):
        split.split_documents(100, 0.1, [0.001], seed=0)
