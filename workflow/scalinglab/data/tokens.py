"""Token files: a flat ``uint16`` array of token ids (``.bin``) and a JSON sidecar (``.json``).

The format is the contract between the data stage and everything downstream (README, "File
formats"). Writers go through :class:`TokenWriter` (temporary name, streaming sha256, rename when
complete), readers through :func:`open_tokens` (size always checked, sha256 checked for files up to
``SHA256_CHECK_MAX_BYTES`` unless asked, and cached per process).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

DTYPE = np.uint16
SHA256_CHECK_MAX_BYTES = 2 << 30  # above this, hashing costs minutes: size is checked, sha256 on request
REQUIRED_KEYS = ("bin", "tokens", "documents", "sha256", "dtype", "tokenizer", "vocab_size", "eot_token", "source", "seed")
FIX = "rerun the data rule (snakemake --forcerun prepare_data ...)"

_verified: dict[tuple, str] = {}  # (bin path, size, mtime_ns) -> sha256 already checked in this process


class DataError(RuntimeError):
    """A one-line, user-facing data problem: names the bad value and the fix."""


class TokenFile(NamedTuple):
    tokens: np.memmap  # read-only uint16 token ids
    meta: dict  # the sidecar


def _bin_path(json_path: Path, meta: dict) -> Path:
    # The .bin lives beside its sidecar; only its name is taken from `bin`, so moved trees still open.
    return json_path.parent / Path(meta["bin"]).name


def verify_tokens(json_path: str | os.PathLike, check_sha256: bool | None = None) -> dict:
    """Check a token file against its sidecar and return the sidecar.

    Size is always checked. ``check_sha256=None`` hashes files up to ``SHA256_CHECK_MAX_BYTES``;
    ``True`` always, ``False`` never. Raises :class:`DataError` (one line: file and fix).
    """
    json_path = Path(json_path)
    try:
        meta = json.loads(json_path.read_text())
    except FileNotFoundError:
        raise DataError(f"token sidecar {json_path} not found: {FIX}") from None
    except json.JSONDecodeError as err:
        raise DataError(f"token sidecar {json_path} is not valid JSON ({err.msg}): {FIX}") from None
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise DataError(f"token sidecar {json_path} lacks {', '.join(missing)}: {FIX}")
    if meta["dtype"] != "uint16":
        raise DataError(f"token sidecar {json_path} has dtype {meta['dtype']!r}, expected 'uint16': {FIX}")
    bin_path = _bin_path(json_path, meta)
    if not bin_path.is_file():
        raise DataError(f"token file {bin_path} not found (named by {json_path}): {FIX}")
    stat = bin_path.stat()
    expected = int(meta["tokens"]) * np.dtype(DTYPE).itemsize
    if stat.st_size != expected:
        raise DataError(
            f"token file {bin_path} has {stat.st_size} bytes, its sidecar says {meta['tokens']} tokens "
            f"({expected} bytes): truncated or altered; {FIX}"
        )
    if check_sha256 is None:
        check_sha256 = stat.st_size <= SHA256_CHECK_MAX_BYTES
    key = (str(bin_path.resolve()), stat.st_size, stat.st_mtime_ns)
    if check_sha256 and _verified.get(key) != meta["sha256"]:
        digest = sha256_file(bin_path)
        if digest != meta["sha256"]:
            raise DataError(f"token file {bin_path} sha256 {digest[:12]}… differs from its sidecar's {meta['sha256'][:12]}…: altered; {FIX}")
        _verified[key] = digest
    return meta


def open_tokens(json_path: str | os.PathLike, check_sha256: bool | None = None) -> TokenFile:
    """Open a token file through its sidecar, after :func:`verify_tokens`: ``tokens, meta = open_tokens(p)``."""
    json_path = Path(json_path)
    meta = verify_tokens(json_path, check_sha256)
    bin_path = _bin_path(json_path, meta)
    if meta["tokens"] == 0:
        raise DataError(f"token file {bin_path} holds no tokens: {FIX} with a larger corpus or fraction")
    return TokenFile(np.memmap(bin_path, dtype=DTYPE, mode="r"), meta)


def sha256_file(path: str | os.PathLike, chunk_bytes: int = 16 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk_bytes):
            h.update(block)
    return h.hexdigest()


class TokenWriter:
    """Appends token arrays to ``<bin>.tmp`` while hashing; :meth:`commit` renames bin then sidecar.

    Nothing appears under the final names until :meth:`commit`; :meth:`discard` removes the temp file.
    """

    def __init__(self, bin_path: str | os.PathLike, vocab_size: int):
        if vocab_size > np.iinfo(DTYPE).max + 1:
            raise DataError(f"vocab_size {vocab_size} does not fit uint16 token files (max 65536)")
        self.bin_path = Path(bin_path)
        self.bin_path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp_path = self.bin_path.with_name(f"{self.bin_path.name}.tmp-{os.getpid()}")
        self._file = open(self.tmp_path, "wb")
        self._hash = hashlib.sha256()
        self.tokens = 0
        self.documents = 0
        self.vocab_size = vocab_size

    def write(self, tokens: np.ndarray, documents: int = 0) -> None:
        data = np.ascontiguousarray(tokens, dtype=DTYPE)
        self._file.write(memoryview(data).cast("B"))
        self._hash.update(memoryview(data).cast("B"))
        self.tokens += data.size
        self.documents += documents

    def finish(self, **meta) -> tuple[Path, dict]:
        """Close the temp file and return (temp path, full sidecar); call :meth:`commit` to publish."""
        self._file.close()
        sidecar = dict(
            bin=str(self.bin_path),
            tokens=self.tokens,
            documents=self.documents,
            sha256=self._hash.hexdigest(),
            dtype="uint16",
            vocab_size=self.vocab_size,
        )
        sidecar.update(meta)
        self.sidecar = sidecar
        return self.tmp_path, sidecar

    def commit(self) -> None:
        json_path = self.bin_path.with_suffix(".json")
        tmp_json = json_path.with_name(f"{json_path.name}.tmp-{os.getpid()}")
        tmp_json.write_text(json.dumps(self.sidecar, indent=2) + "\n")
        os.replace(self.tmp_path, self.bin_path)
        os.replace(tmp_json, json_path)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.tmp_path.unlink(missing_ok=True)
