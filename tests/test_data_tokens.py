"""Token files: the sidecar contract, open_tokens' checks, atomic all-or-nothing outputs."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from scalinglab.data import DataError, open_tokens
from scalinglab.data.prepare import prepare_data
from scalinglab.data.tokens import REQUIRED_KEYS, sha256_file

CFG = dict(
    source="synthetic",
    fractions=[1.0, 0.1, 0.01],
    val_fraction=0.02,
    synthetic=dict(documents=2000, vocab_size=64, n_facts=100, fact_length=3, facts_per_document=5, alpha=0.5),
)


@pytest.fixture()
def prepared(tmp_path):
    written = prepare_data(CFG, tmp_path / "data", seed=7, progress=False)
    return tmp_path / "data", written


def test_outputs_follow_the_file_format_contract(prepared):
    out, written = prepared
    assert sorted(os.listdir(out)) == ["subsets", "val.bin", "val.json"]  # no staging or temp files left
    assert sorted(os.listdir(out / "subsets")) == ["0.01.bin", "0.01.json", "0.1.bin", "0.1.json", "1.bin", "1.json"]
    for json_path, meta in written.items():
        assert set(REQUIRED_KEYS) | {"fraction", "entropy_per_token_nats"} <= set(meta)
        tokens, on_disk = open_tokens(json_path, check_sha256=True)
        assert on_disk == meta
        assert tokens.dtype == np.uint16 and tokens.size == meta["tokens"]
        assert sha256_file(meta["bin"]) == meta["sha256"]
        assert (tokens == meta["eot_token"]).sum() == meta["documents"]  # one EOT per document
        assert tokens[-1] == meta["eot_token"]
    val = json.loads((out / "val.json").read_text())
    assert val["documents"] == 40 and val["fraction"] is None and val["split"] == "val"
    sub = json.loads((out / "subsets" / "0.01.json").read_text())
    assert sub["documents"] == round(0.01 * 1960) and sub["fraction"] == 0.01 and sub["label"] == "0.01"


def test_subset_files_nested_as_prefixes_and_disjoint_from_val(prepared):
    out, _ = prepared
    full, _ = open_tokens(out / "subsets" / "1.json")
    for label in ("0.1", "0.01"):
        small, _ = open_tokens(out / "subsets" / f"{label}.json")
        assert np.array_equal(full[: small.size], small)
    doc_len = 3 * 5 + 1
    val, _ = open_tokens(out / "val.json")
    val_docs = {bytes(d) for d in np.asarray(val).reshape(-1, doc_len)}
    train_docs = [bytes(d) for d in np.asarray(full).reshape(-1, doc_len)]
    # random documents can repeat by chance, but a held-out set must not be mostly training text
    assert sum(d in val_docs for d in train_docs) < 0.05 * len(train_docs)


def test_same_config_same_bytes(tmp_path, prepared):
    _, first = prepared
    second = prepare_data(CFG, tmp_path / "again", seed=7, progress=False)
    assert [m["sha256"] for m in first.values()] == [m["sha256"] for m in second.values()]


def test_truncated_bin_is_rejected_with_the_file_and_fix(prepared):
    out, _ = prepared
    path = out / "subsets" / "0.1.bin"
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 2)
    with pytest.raises(DataError, match=r"0\.1\.bin has .* bytes.*rerun the data rule"):
        open_tokens(out / "subsets" / "0.1.json")


def test_altered_bin_is_rejected_by_sha256(prepared):
    out, _ = prepared
    path = out / "subsets" / "0.01.bin"
    data = bytearray(path.read_bytes())
    data[10] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"0\.01\.bin sha256 .* differs.*rerun the data rule"):
        open_tokens(out / "subsets" / "0.01.json", check_sha256=True)
    open_tokens(out / "subsets" / "0.01.json", check_sha256=False)  # size-only check still opens it


def test_missing_sidecar_and_bin(tmp_path, prepared):
    out, _ = prepared
    with pytest.raises(DataError, match="not found"):
        open_tokens(tmp_path / "nope.json")
    (out / "val.bin").unlink()
    with pytest.raises(DataError, match=r"val\.bin not found"):
        open_tokens(out / "val.json")


def test_failure_leaves_no_partial_output(tmp_path):
    bad = dict(CFG, fractions=[1.0, 0.0001])  # 0.01% of 1960 documents selects none: fails after staging
    with pytest.raises(DataError, match="selects none"):
        prepare_data(bad, tmp_path / "data", seed=7, progress=False)
    assert list((tmp_path / "data").rglob("*")) == []


def test_unknown_source(tmp_path):
    with pytest.raises(DataError, match=r"data\.source='webtext' is unknown"):
        prepare_data(dict(CFG, source="webtext"), tmp_path, seed=0, progress=False)


def test_verify_cli_one_line_error_and_exit_code(prepared):
    out, _ = prepared
    ok = subprocess.run([sys.executable, "-m", "scalinglab.data", "verify", str(out / "val.json")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    with open(out / "val.bin", "ab") as f:
        f.write(b"\0\0")
    bad = subprocess.run([sys.executable, "-m", "scalinglab.data", "verify", str(out / "val.json")], capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and "val.bin" in bad.stderr and "rerun the data rule" in bad.stderr
