"""Tokenization through the real tiktoken code path, offline, with a small custom Encoding.

The GPT-2 vocabulary cannot be fetched here, so the tests build a tiktoken.Encoding with GPT-2's
split pattern, byte-level ranks and a few merges: encode_ordinary and special-token handling are
tiktoken's own, and the forked worker processes use the same Encoding object.
"""
import json
import os
import signal

import numpy as np
import pytest
import tiktoken

from scalinglab.data import open_tokens, tokenize
from scalinglab.data.prepare import prepare_data
from scalinglab.data.sources import expand_globs, local_texts
from scalinglab.data.tokens import DataError

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def tiny_encoding() -> tiktoken.Encoding:
    ranks = {bytes([i]): i for i in range(256)}
    for merge in [b"th", b"he", b"the", b" t", b" th", b" the", b"in", b" in"]:
        ranks[merge] = len(ranks)
    return tiktoken.Encoding(
        name="tiny-bpe", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens={"<|endoftext|>": len(ranks)}
    )


TEXTS = ["the cat in the hat", "<|endoftext|> is plain text here", "then", "ünïcode ✓ the end"] * 50


def test_tokenize_appends_eot_and_roundtrips_in_order():
    enc = tiny_encoding()
    batches = list(tokenize.tokenize_texts(TEXTS, enc, batch_documents=7, workers=2))
    flat = np.concatenate([b[0] for b in batches])
    lengths = np.concatenate([b[1] for b in batches])
    assert lengths.size == len(TEXTS) and lengths.sum() == flat.size
    assert flat.dtype == np.uint16
    docs = np.split(flat, np.cumsum(lengths)[:-1])
    for text, doc in zip(TEXTS, docs):
        assert doc[-1] == enc.eot_token
        assert enc.eot_token not in doc[:-1].tolist()  # the literal "<|endoftext|>" is ordinary text
        assert enc.decode(doc[:-1].tolist()) == text
    assert docs[0][:-1].tolist() == enc.encode_ordinary("the cat in the hat")
    assert 258 in docs[0].tolist()  # the merge b"the" was applied


def test_workers_do_not_change_the_output():
    enc = tiny_encoding()
    one = np.concatenate([b[0] for b in tokenize.tokenize_texts(TEXTS, enc, batch_documents=3, workers=1)])
    many = np.concatenate([b[0] for b in tokenize.tokenize_texts(TEXTS, enc, batch_documents=11, workers=4)])
    assert np.array_equal(one, many)


def _die_in_worker(texts):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_dead_worker_is_a_one_line_error(monkeypatch):
    """A worker killed mid-corpus (OOM killer, scancel) stops the stage with a DataError naming
    the knobs, not a BrokenProcessPool traceback."""
    monkeypatch.setattr(tokenize, "_encode_in_worker", _die_in_worker)  # module-level: picklable
    with pytest.raises(DataError, match="worker process died.*data.batch_documents"):
        list(tokenize.tokenize_texts(TEXTS, tiny_encoding(), batch_documents=7, workers=2))


def test_gpt2_unavailable_names_the_alternatives(monkeypatch):
    def offline(name):
        raise ConnectionError("no network")

    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    with pytest.raises(DataError) as err:
        tokenize.gpt2_encoding()
    message = str(err.value)
    assert "\n" not in message
    assert "data.source: synthetic" in message and "TIKTOKEN_CACHE_DIR" in message


def test_unknown_tokenizer():
    with pytest.raises(DataError, match="data.tokenizer='bert'"):
        tokenize.get_encoding("bert")


def write_local_corpus(root):
    (root / "txt").mkdir()
    (root / "txt" / "a.txt").write_text("the first text file")
    (root / "txt" / "b.txt").write_text("the second text file")
    with open(root / "docs.jsonl", "w") as f:
        for i in range(30):
            f.write(json.dumps({"body": f"json document {i} in the set"}) + "\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"body": [f"parquet row {i} the" for i in range(40)]}), root / "rows.parquet")


def test_local_sources_read_txt_jsonl_parquet(tmp_path):
    write_local_corpus(tmp_path)
    texts = list(local_texts({"paths": [str(tmp_path / "txt" / "*.txt"), str(tmp_path / "*.jsonl"), str(tmp_path / "*.parquet")], "text_column": "body"}))
    assert len(texts) == 2 + 30 + 40
    assert texts[0] == "the first text file" and texts[2] == "json document 0 in the set" and texts[-1] == "parquet row 39 the"


def test_local_bad_inputs(tmp_path):
    write_local_corpus(tmp_path)
    with pytest.raises(DataError, match=r"glob '.*nothing\*\.txt' matches no file"):
        expand_globs([str(tmp_path / "nothing*.txt")])
    with pytest.raises(DataError, match="no 'text' field"):
        list(local_texts({"paths": [str(tmp_path / "*.jsonl")], "text_column": "text"}))
    with pytest.raises(DataError, match="no column 'text'"):
        list(local_texts({"paths": [str(tmp_path / "*.parquet")], "text_column": "text"}))
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(DataError, match="neither .txt"):
        expand_globs([str(tmp_path / "*.csv")])


def test_prepare_local_corpus_end_to_end(tmp_path):
    write_local_corpus(tmp_path)
    cfg = dict(source="local", fractions=[1.0, 0.5], val_fraction=0.1, batch_documents=4,
               local={"paths": [str(tmp_path / "*.jsonl"), str(tmp_path / "*.parquet")], "text_column": "body"})
    enc = tiny_encoding()
    written = prepare_data(cfg, tmp_path / "out", seed=1, encoding=enc, threads=2, progress=False)
    val, meta = open_tokens(tmp_path / "out" / "val.json")
    assert meta["tokenizer"] == "tiny-bpe" and meta["vocab_size"] == enc.n_vocab and meta["eot_token"] == enc.eot_token
    assert meta["documents"] == 7 and meta["source"] == "local"
    full, full_meta = open_tokens(tmp_path / "out" / "subsets" / "1.json")
    assert full_meta["documents"] == 63
    everything = sorted(enc.decode(d.tolist()) for d in np.split(np.concatenate([val, full]), np.flatnonzero(np.concatenate([val, full]) == enc.eot_token) + 1) if d.size)
    expected = sorted([f"json document {i} in the set" for i in range(30)] + [f"parquet row {i} the" for i in range(40)])
    assert [e.replace("<|endoftext|>", "") for e in everything] == expected  # every document exactly once


def test_empty_local_corpus(tmp_path):
    (tmp_path / "empty.txt").write_text("   \n")
    cfg = dict(source="local", fractions=[1.0], val_fraction=0.1, local={"paths": [str(tmp_path / "*.txt")]})
    with pytest.raises(DataError, match="corpus is empty"):
        prepare_data(cfg, tmp_path / "out", seed=1, encoding=tiny_encoding(), progress=False)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").rglob("*")) == []


def test_bad_glob_reported_before_the_tokenizer_is_fetched(tmp_path, monkeypatch):
    import scalinglab.data.prepare as prepare

    monkeypatch.setattr(prepare, "get_encoding", lambda name: pytest.fail("tokenizer fetched before paths were checked"))
    cfg = dict(source="local", fractions=[1.0], val_fraction=0.1, local={"paths": [str(tmp_path / "none/*.txt")]})
    with pytest.raises(DataError, match="matches no file"):
        prepare_data(cfg, tmp_path / "out", seed=1, progress=False)
