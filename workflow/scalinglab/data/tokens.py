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

# (bin path, size, mtime_ns) -> (sha256 or None, largest id) already checked in this process
_verified: dict[tuple, tuple] = {}


class DataError(RuntimeError):
    """A one-line, user-facing data problem: names the bad value and the fix."""


class TokenFile(NamedTuple):
    tokens: np.memmap  # read-only uint16 token ids
    meta: dict  # the sidecar


def _bin_path(json_path: Path, meta: dict) -> Path:
    # The .bin lives beside its sidecar; only its name is taken from `bin`, so moved trees still open.
    return json_path.parent / Path(meta["bin"]).name


def read_sidecar(json_path: Path) -> dict:
    """The sidecar's JSON object; anything else (missing, a directory, a binary file) is one line."""
    try:
        raw = json_path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"token sidecar {json_path} not found: {FIX}") from None
    except IsADirectoryError:
        raise DataError(f"{json_path} is a directory, not a token sidecar: pass the .json files in it "
                        f"(e.g. {json_path / 'val.json'})") from None
    except OSError as err:
        raise DataError(f"cannot read token sidecar {json_path}: {err.strerror}") from None
    if json_path.suffix == ".bin" or b"\0" in raw:
        raise DataError(f"{json_path} is a binary file, not a token sidecar: pass the .json beside the .bin")
    try:
        meta = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DataError(f"{json_path} is a binary file, not a token sidecar: pass the .json beside the .bin") from None
    except json.JSONDecodeError as err:
        if json_path.suffix != ".json":
            raise DataError(f"{json_path} is not a token sidecar (not JSON): pass the .json beside a .bin "
                            f"(e.g. results/data/val.json)") from None
        raise DataError(f"token sidecar {json_path} is not valid JSON ({err.msg}, line {err.lineno}): {FIX}") from None
    if not isinstance(meta, dict):
        raise DataError(f"token sidecar {json_path} holds a JSON {type(meta).__name__}, not an object: {FIX}")
    return meta


def verify_tokens(json_path: str | os.PathLike, check_sha256: bool | None = None) -> dict:
    """Check a token file against its sidecar and return the sidecar.

    Size and the id range (every id < the sidecar's vocab_size) are always checked.
    ``check_sha256=None`` hashes files up to ``SHA256_CHECK_MAX_BYTES``; ``True`` always, ``False``
    never. Raises :class:`DataError` (one line: file and fix).
    """
    json_path = Path(json_path)
    meta = read_sidecar(json_path)
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise DataError(f"token sidecar {json_path} lacks {', '.join(missing)}: {FIX}")
    if meta["dtype"] != "uint16":
        raise DataError(f"token sidecar {json_path} has dtype {meta['dtype']!r}, expected 'uint16': {FIX}")
    for key in ("tokens", "vocab_size"):
        if not isinstance(meta[key], int) or isinstance(meta[key], bool) or meta[key] < 0:
            raise DataError(f"token sidecar {json_path} has {key}={meta[key]!r}, not a count: {FIX}")
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
    digest, top = _verified.get(key, (None, None))
    if check_sha256 and digest != meta["sha256"]:
        digest, top = scan_file(bin_path)
        if digest != meta["sha256"]:
            raise DataError(f"token file {bin_path} sha256 {digest[:12]}… differs from its sidecar's {meta['sha256'][:12]}…: altered; {FIX}")
    if top is None:  # not hashed: the range still costs one read (an id >= vocab crashes training)
        top = max_token(np.memmap(bin_path, dtype=DTYPE, mode="r")) if stat.st_size else -1
    _verified[key] = (digest, top)
    if top >= int(meta["vocab_size"]):
        raise DataError(f"token file {bin_path} holds token id {top}, not below its sidecar's vocab_size "
                        f"{meta['vocab_size']} ({json_path}): a different tokenizer wrote it? {FIX}")
    return meta


def open_tokens(json_path: str | os.PathLike, check_sha256: bool | None = None) -> TokenFile:
    """Open a token file through its sidecar, after :func:`verify_tokens`: ``tokens, meta = open_tokens(p)``."""
    json_path = Path(json_path)
    meta = verify_tokens(json_path, check_sha256)
    bin_path = _bin_path(json_path, meta)
    if meta["tokens"] == 0:
        raise DataError(f"token file {bin_path} holds no tokens: {FIX} with a larger corpus or fraction")
    return TokenFile(np.memmap(bin_path, dtype=DTYPE, mode="r"), meta)


def max_token(tokens: np.ndarray, chunk: int = 1 << 26) -> int:
    """The largest id in a token array (-1 when empty), read in chunks so a memmap stays unmapped."""
    return max((int(tokens[i:i + chunk].max()) for i in range(0, len(tokens), chunk)), default=-1)


def scan_file(path: str | os.PathLike, chunk_bytes: int = 16 << 20) -> tuple[str, int]:
    """(sha256, largest token id) of a token file in one read."""
    h, top = hashlib.sha256(), -1
    with open(path, "rb") as f:
        while block := f.read(chunk_bytes):
            h.update(block)
            if len(block) >= 2:
                top = max(top, int(np.frombuffer(block, dtype=DTYPE, count=len(block) // 2).max()))
    return h.hexdigest(), top


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
