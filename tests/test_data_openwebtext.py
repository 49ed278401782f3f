"""The OpenWebText code path (HF datasets over the hub's parquet layout) on a small local copy."""
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scalinglab.data import open_tokens
from scalinglab.data.prepare import prepare_data
from scalinglab.data.sources import openwebtext_texts
from scalinglab.data.tokens import DataError
from test_data_tokenize import tiny_encoding

SHARDS, PER_SHARD = 3, 100


@pytest.fixture(scope="module")
def hub_copy(tmp_path_factory):
    """<repo>/plain_text/train/NNNN.parquet with a `text` column: the refs/convert/parquet layout."""
    root = tmp_path_factory.mktemp("openwebtext")
    (root / "plain_text" / "train").mkdir(parents=True)
    for shard in range(SHARDS):
        texts = [f"shard {shard} document {i}: the thing in the text" for i in range(PER_SHARD)]
        pq.write_table(pa.table({"text": texts}), root / "plain_text" / "train" / f"{shard:04d}.parquet")
    return root


def owt_cfg(root, **kw):
    return dict(path=str(root), revision=None, data_files="plain_text/train/*.parquet", text_column="text",
                total_documents=None, streaming=True) | kw


def test_reads_all_documents_in_hub_order(hub_copy):
    texts = list(openwebtext_texts(owt_cfg(hub_copy), limit=None))
    assert len(texts) == SHARDS * PER_SHARD
    assert texts[0].startswith("shard 0 document 0:") and texts[-1].startswith("shard 2 document 99:")


def test_small_fractions_read_only_the_needed_prefix(hub_copy, tmp_path):
    """With total_documents known, 10% of the corpus reads ~10% of it (the first shard here)."""
    cfg = dict(source="openwebtext", fractions=[0.1, 0.01], val_fraction=0.02,
               openwebtext=owt_cfg(hub_copy, total_documents=SHARDS * PER_SHARD, streaming="auto"))
    written = prepare_data(cfg, tmp_path, seed=5, encoding=tiny_encoding(), progress=False)
    meta = written[str(tmp_path / "subsets" / "0.1.json")]
    assert meta["total_documents"] == 300 and meta["val_documents"] == 6
    assert meta["corpus_documents"] == 6 + round(0.1 * 294) and meta["documents"] == round(0.1 * 294)
    assert meta["source"] == "openwebtext" and meta["openwebtext"]["path"] == str(hub_copy)
    tokens, _ = open_tokens(tmp_path / "subsets" / "0.1.json")
    enc = tiny_encoding()
    assert "shard 1" not in enc.decode(tokens.tolist())  # nothing past the first shard was needed


def test_whole_corpus_split(hub_copy, tmp_path):
    cfg = dict(source="openwebtext", fractions=[1.0, 0.1], val_fraction=0.05, openwebtext=owt_cfg(hub_copy))
    prepare_data(cfg, tmp_path, seed=5, encoding=tiny_encoding(), progress=False)
    val, vmeta = open_tokens(tmp_path / "val.json")
    full, fmeta = open_tokens(tmp_path / "subsets" / "1.json")
    assert vmeta["documents"] == 15 and fmeta["documents"] == 285
    assert vmeta["tokenizer"] == "tiny-bpe"
    eot = vmeta["eot_token"]
    assert (np.asarray(full) == eot).sum() == 285


def test_fewer_documents_than_total_documents_claims(hub_copy, tmp_path):
    cfg = dict(source="openwebtext", fractions=[1.0], val_fraction=0.05,
               openwebtext=owt_cfg(hub_copy, total_documents=1000))
    with pytest.raises(DataError, match="total_documents"):
        prepare_data(cfg, tmp_path, seed=5, encoding=tiny_encoding(), progress=False)
    assert list(tmp_path.rglob("*")) == []


def test_unreachable_source_fails_with_alternatives(tmp_path):
    with pytest.raises(DataError) as err:
        list(openwebtext_texts(owt_cfg(tmp_path / "missing"), limit=None))
    assert "data.source: synthetic" in str(err.value) and "\n" not in str(err.value)


def test_wrong_text_column(hub_copy):
    with pytest.raises(DataError, match="text_column='body'"):
        list(openwebtext_texts(owt_cfg(hub_copy, text_column="body"), limit=None))
