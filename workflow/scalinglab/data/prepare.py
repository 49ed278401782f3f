"""The data stage end to end: source -> token ids -> val.bin and the nested subsets/<label>.bin.

1. Stage: every document of the source, tokenized (or generated, for the synthetic corpus), is
   appended in source order to a temporary ``corpus.bin`` with its offsets (8 bytes a document).
2. Split: one seeded permutation of the documents (``scalinglab.data.split``).
3. Write: the validation file and each subset by gathering documents in permutation order, each
   through a :class:`TokenWriter`; all outputs are renamed into place only once every one is done.
"""
from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from tqdm import tqdm

from scalinglab.data import sources, split
from scalinglab.data.synthetic import SyntheticCorpus
from scalinglab.data.tokenize import default_threads, get_encoding, tokenize_texts
from scalinglab.data.tokens import DTYPE, DataError, TokenWriter

log = logging.getLogger(__name__)
SPLIT_STREAM = 1  # the split's random stream is (seed, 1); the synthetic generator's is seed itself
SOURCES = ("openwebtext", "local", "synthetic")


def _synthetic_batches(corpus: SyntheticCorpus) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for docs in corpus.iter_documents():
        yield docs.ravel(), np.full(docs.shape[0], docs.shape[1], dtype=np.int64)


def open_source(cfg: dict, seed: int, encoding=None, threads: int | None = None):
    """(batches of (tokens, lengths), sidecar fields, total documents or None, documents to read or None)."""
    source = cfg.get("source")
    fractions = split.check_fractions(cfg["fractions"])
    if source == "synthetic":
        corpus = SyntheticCorpus(**cfg.get("synthetic", {}), seed=seed)
        meta = dict(tokenizer="synthetic", vocab_size=corpus.vocab_size, eot_token=corpus.eot_token, **corpus.sidecar())
        return _synthetic_batches(corpus), meta, corpus.documents, None
    if source not in SOURCES:
        raise DataError(f"data.source={source!r} is unknown: use one of {', '.join(SOURCES)}")
    if source == "local":  # bad paths are reported before the tokenizer is fetched
        sources.expand_globs(list(cfg.get("local", {}).get("paths") or []))
    encoding = encoding or get_encoding(cfg.get("tokenizer", "gpt2"))
    meta = dict(tokenizer=encoding.name, vocab_size=encoding.n_vocab, eot_token=encoding.eot_token)
    batch = cfg.get("batch_documents", 256)
    if source == "openwebtext":
        owt = cfg.get("openwebtext", {})
        total = owt.get("total_documents")
        limit = split.documents_needed(total, cfg["val_fraction"], fractions) if total else None
        meta["openwebtext"] = {k: owt.get(k) for k in ("path", "revision", "data_files")}
        texts = sources.openwebtext_texts(owt, limit)
        return tokenize_texts(texts, encoding, batch, workers=threads), meta, total, limit
    texts = sources.local_texts(cfg.get("local", {}))
    meta["local"] = {"paths": list(cfg["local"]["paths"]), "text_column": cfg["local"].get("text_column", "text")}
    return tokenize_texts(texts, encoding, batch, workers=threads), meta, None, None


def stage_corpus(batches, staging: Path, expected: int | None, progress: bool = True) -> tuple[Path, np.ndarray]:
    """Append every batch to staging/corpus.bin; return (its path, document offsets)."""
    offsets = [np.zeros(1, dtype=np.int64)]
    end = 0
    start = time.perf_counter()
    bar = tqdm(total=expected, unit="doc", desc="tokenize", disable=not progress, mininterval=1.0)
    with open(staging / "corpus.bin", "wb") as out:
        for flat, lengths in batches:
            out.write(memoryview(np.ascontiguousarray(flat, dtype=DTYPE)).cast("B"))
            offsets.append(end + np.cumsum(lengths))
            end += int(lengths.sum())
            bar.update(lengths.size)
            bar.set_postfix(tokens=end, tok_per_s=f"{end / max(time.perf_counter() - start, 1e-9):.3g}", refresh=False)
    bar.close()
    offsets = np.concatenate(offsets)
    if offsets.size == 1 or end == 0:
        raise DataError("the corpus is empty (0 documents): check data.source and its paths")
    log.info("staged %d documents, %d tokens in %.1f s", offsets.size - 1, end, time.perf_counter() - start)
    return staging / "corpus.bin", offsets


def gather(corpus_path: Path, offsets: np.ndarray, doc_ids: np.ndarray, writer: TokenWriter,
           chunk: int = 8192, progress: bool = True) -> None:
    """Copy documents `doc_ids`, in that order, from the staged corpus file to `writer`.

    Reads with pread rather than a memmap, so the corpus's pages never count against this
    process's memory: resident memory stays at one chunk of documents whatever the corpus size.
    """
    itemsize = np.dtype(DTYPE).itemsize
    fd = os.open(corpus_path, os.O_RDONLY)
    try:
        for i in tqdm(range(0, doc_ids.size, chunk), desc=writer.bin_path.name, unit="chunk", disable=not progress, mininterval=1.0):
            ids = doc_ids[i:i + chunk]
            parts = [os.pread(fd, int(e - s) * itemsize, int(s) * itemsize) for s, e in zip(offsets[ids], offsets[ids + 1])]
            writer.write(np.frombuffer(b"".join(parts), dtype=DTYPE), documents=ids.size)
    finally:
        os.close(fd)


def remove_stale_staging(out_dir: Path) -> list[Path]:
    """Delete what a killed data stage left: its staging directory (the whole staged corpus, about
    18 GB at paper scale) and half-written outputs. Only one data job writes to `out_dir` at a time
    (Snakemake's lock on the working directory), so everything of this kind is stale."""
    stale = [*out_dir.glob(".staging-*"), *out_dir.glob("*.tmp-*"), *out_dir.glob("subsets/*.tmp-*")]
    for path in stale:
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
        log.warning("removing %s (%.2f GB) left by a killed data stage", path, size / 1e9)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return stale


def prepare_data(cfg: dict, out_dir: str | os.PathLike, seed: int, encoding=None,
                 threads: int | None = None, progress: bool = True) -> dict[str, dict]:
    """Write out_dir/val.{bin,json} and out_dir/subsets/<label>.{bin,json}; return {path: sidecar}.

    `cfg` is the `data` section of the config (schema defaults applied); `encoding` overrides the
    tokenizer (tests pass a small tiktoken.Encoding).
    """
    out_dir = Path(out_dir)
    fractions = split.check_fractions(cfg["fractions"])
    batches, meta, total, limit = open_source(cfg, seed, encoding, threads or default_threads())
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out_dir)
    staging = out_dir / f".staging-{os.getpid()}"
    staging.mkdir(exist_ok=True)
    writers: list[TokenWriter] = []
    try:
        corpus, offsets = stage_corpus(batches, staging, limit or total, progress)
        n_read = offsets.size - 1
        if limit is not None and n_read < limit:
            raise DataError(
                f"data.openwebtext: read {n_read} documents, fewer than the {limit} expected from "
                f"total_documents={total}: set data.openwebtext.total_documents to the corpus's size (null: count it)"
            )
        total = total or n_read
        val_ids, subset_ids = split.split_documents(n_read, cfg["val_fraction"], fractions, [seed, SPLIT_STREAM], total)
        common = dict(meta, source=cfg["source"], seed=seed, corpus_documents=n_read, total_documents=total,
                      val_fraction=cfg["val_fraction"], val_documents=int(val_ids.size))
        jobs = [(out_dir / "val.bin", val_ids, dict(split="val", fraction=None, label="val"))]
        for f, ids in subset_ids.items():
            label = split.fraction_label(f)
            jobs.append((out_dir / "subsets" / f"{label}.bin", ids, dict(split="train", fraction=f, label=label)))
        for path, ids, extra in jobs:
            writer = TokenWriter(path, meta["vocab_size"])
            writers.append(writer)
            gather(corpus, offsets, ids, writer, progress=progress)
            writer.finish(**{k: v for k, v in common.items() if k != "vocab_size"}, **extra)
        for writer in writers:  # publish only when every output is complete
            writer.commit()
        return {str(w.bin_path.with_suffix(".json")): w.sidecar for w in writers}
    finally:
        for writer in writers:
            writer.discard()
        shutil.rmtree(staging, ignore_errors=True)
