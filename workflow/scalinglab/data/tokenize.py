"""GPT-2 BPE through tiktoken, over the cores, with memory bounded by the batch size.

Documents are encoded in batches with ``Encoding.encode_ordinary_batch`` (special tokens in the text
are plain text, never control tokens) and an end-of-text token is appended to every document.
tiktoken's Rust encoder releases the GIL, so a thread pool runs batches on every core; at most
``2 × threads`` batches are in flight, so memory does not grow with the corpus.
"""
from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from scalinglab.data.tokens import DataError


def gpt2_encoding():
    """tiktoken's GPT-2 encoding, or a one-line DataError naming the offline alternatives."""
    import tiktoken

    try:
        return tiktoken.get_encoding("gpt2")
    except Exception as err:
        cache = os.environ.get("TIKTOKEN_CACHE_DIR", "unset")
        raise DataError(
            f"cannot load tiktoken's GPT-2 vocabulary ({type(err).__name__}; TIKTOKEN_CACHE_DIR={cache}): "
            "offline? use data.source: synthetic, or set TIKTOKEN_CACHE_DIR to a directory where "
            "`tiktoken.get_encoding('gpt2')` was run on a connected machine"
        ) from None


def get_encoding(name: str):
    if name == "gpt2":
        return gpt2_encoding()
    raise DataError(f"data.tokenizer={name!r} is unknown: use 'gpt2'")


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _encode_batch(encoding, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    ids = encoding.encode_ordinary_batch(texts, num_threads=1)
    eot = [encoding.eot_token]
    lengths = np.fromiter((len(x) + 1 for x in ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter(itertools.chain.from_iterable(x + eot for x in ids), dtype=np.uint16, count=int(lengths.sum()))
    return flat, lengths


def tokenize_texts(
    texts: Iterable[str],
    encoding,
    batch_documents: int = 256,
    threads: int | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yields (flat uint16 token ids with EOT after each document, per-document lengths), in order."""
    if encoding.n_vocab > 65536:
        raise DataError(f"tokenizer {encoding.name} has {encoding.n_vocab} tokens, more than uint16 token files hold")
    threads = threads or default_threads()
    batches = iter(lambda it=iter(texts): list(itertools.islice(it, batch_documents)), [])
    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.submit(_encode_batch, encoding, batch))
            if len(pending) >= 2 * threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
