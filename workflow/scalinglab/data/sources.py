"""Text sources: OpenWebText through HF ``datasets`` (the hub's parquet copy) and local files.

Each source is an iterator of document strings in a fixed order (empty documents skipped), so the
split downstream is deterministic. Neither ever holds more than one batch of documents in memory.
"""
from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from pathlib import Path

from scalinglab.data.tokens import DataError

# OpenWebText (Gokaslan & Cohen 2019) on the HF hub. Its loading script is gone in datasets >= 4,
# so we read the parquet conversion the hub publishes on the `refs/convert/parquet` branch:
# <config>/<split>/NNNN.parquet, config `plain_text`, column `text`.
OPENWEBTEXT_DOCUMENTS = 8_013_769  # documents in the full corpus
OPENWEBTEXT_GPT2_TOKENS = 9_035_582_198  # nanoGPT's prepared train.bin (≈ 9.04 B GPT-2 tokens)


def openwebtext_texts(cfg: dict, limit: int | None, progress: bool = True) -> Iterator[str]:
    """Documents of OpenWebText in hub order; at most `limit` of them (None: all).

    Streams when only part of the corpus is needed (only the parquet shards it reaches are fetched),
    downloads and caches the whole copy otherwise (``streaming: auto``).
    """
    import datasets  # heavy import, only where used

    streaming = cfg.get("streaming", "auto")
    if streaming == "auto":
        streaming = limit is not None and limit < (cfg.get("total_documents") or OPENWEBTEXT_DOCUMENTS)
    where = f"{cfg['path']}@{cfg['revision']}" if cfg.get("revision") else cfg["path"]
    try:
        dataset = datasets.load_dataset(
            cfg["path"],
            revision=cfg.get("revision"),
            data_files={"train": cfg["data_files"]},
            split="train",
            streaming=bool(streaming),
        )
    except Exception as err:  # offline, moved repository, bad local path: one line with the way out
        raise DataError(
            f"cannot load OpenWebText from {where} (files {cfg['data_files']}): {type(err).__name__}: "
            f"{str(err).splitlines()[0][:160] if str(err) else ''}; offline? use data.source: synthetic, "
            f"or data.source: local with data.local.paths, or point data.openwebtext.path at a local copy of the parquet files"
        ) from None
    column = cfg.get("text_column", "text")
    if column not in (dataset.column_names or [column]):
        raise DataError(f"data.openwebtext.text_column={column!r} is not a column of {where} (columns: {dataset.column_names})")
    if limit is not None:
        dataset = dataset.take(limit) if streaming else dataset.select(range(min(limit, len(dataset))))
    for row in dataset:
        text = row[column]
        if text and text.strip():
            yield text


def expand_globs(patterns: list[str]) -> list[Path]:
    """Files matching the globs, sorted within each glob, each glob required to match something."""
    if not patterns:
        raise DataError("data.local.paths is empty: list globs of .txt, .jsonl or .parquet files")
    files: list[Path] = []
    for pattern in patterns:
        matched = sorted(glob.glob(os.path.expanduser(pattern), recursive=True))
        matched = [m for m in matched if os.path.isfile(m)]
        if not matched:
            raise DataError(f"data.local.paths: glob {pattern!r} matches no file (relative to {os.getcwd()})")
        files.extend(Path(m) for m in matched)
    for f in files:
        if f.suffix not in (".txt", ".jsonl", ".parquet"):
            raise DataError(f"data.local.paths: {f} is neither .txt, .jsonl nor .parquet")
    return files


UTF8_FIX = "fix the file, or set data.local.invalid_utf8: replace to substitute U+FFFD"


def _decode(raw: bytes, path: Path, invalid_utf8: str, where: str = "", base: int = 0) -> str:
    """Strict UTF-8 unless the config opts in to replacement; the error names file and byte offset."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        if invalid_utf8 == "replace":
            return raw.decode("utf-8", errors="replace")
        raise DataError(f"{path}{where}: invalid UTF-8 at byte offset {base + err.start} "
                        f"({raw[err.start:err.start + 4]!r}): {UTF8_FIX}") from None


def local_texts(cfg: dict) -> Iterator[str]:
    """Documents from local files: a .txt file is one document, a .jsonl line or a parquet row one each."""
    column = cfg.get("text_column", "text")
    invalid_utf8 = cfg.get("invalid_utf8", "error")
    for path in expand_globs(list(cfg.get("paths") or [])):
        if path.suffix == ".txt":
            texts = [_decode(path.read_bytes(), path, invalid_utf8)]
        elif path.suffix == ".jsonl":
            texts = _jsonl_texts(path, column, invalid_utf8)
        else:
            texts = _parquet_texts(path, column)
        for text in texts:
            if text and text.strip():
                yield text


def _jsonl_texts(path: Path, column: str, invalid_utf8: str = "error") -> Iterator[str]:
    offset = 0
    with open(path, "rb") as f:  # bytes, so a bad line is reported with its line and byte offset
        for lineno, raw in enumerate(f, 1):
            line = _decode(raw, path, invalid_utf8, where=f":{lineno}", base=offset)
            offset += len(raw)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"{path}:{lineno}: not valid JSON ({err.msg})") from None
            if not isinstance(record, dict) or column not in record:
                raise DataError(f"{path}:{lineno}: no {column!r} field (set data.local.text_column)")
            yield str(record[column])


def _parquet_texts(path: Path, column: str) -> Iterator[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def unreadable(err: Exception) -> DataError:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return DataError(f"{path}: not a readable parquet file ({first[:160]}): truncated or corrupt? "
                         f"re-export it or remove it from data.local.paths")

    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise unreadable(err) from None
    if column not in file.schema_arrow.names:
        raise DataError(f"{path}: no column {column!r} (columns: {file.schema_arrow.names}; set data.local.text_column)")
    try:
        for batch in file.iter_batches(batch_size=1024, columns=[column]):
            yield from (t for t in batch.column(0).to_pylist() if t is not None)
    except (pa.ArrowException, OSError) as err:  # a truncated row group shows only when it is read
        raise unreadable(err) from None
