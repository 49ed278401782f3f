"""Tokenization throughput and peak memory of the data stage (issue goal: >= 80% of cores x
tiktoken's single-thread rate, peak RSS < 2 GB whatever the corpus size).

    python benchmarks/bench_tokenize.py [--mb 200] [--threads N] [--encoding gpt2|offline]

Writes a local text corpus (Zipf-distributed English-like words, .jsonl shards) and runs the data
stage's own path on it: local source -> tokenize_texts -> staged corpus -> val and subsets.
Uses GPT-2's BPE when tiktoken can load it (TIKTOKEN_CACHE_DIR or network); otherwise, or with
--encoding offline, a BPE built here from the corpus's words (GPT-2's split pattern, byte-level
ranks plus word merges), which exercises the same tiktoken code path at a similar speed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import tiktoken

from scalinglab.data import prepare, tokenize
from scalinglab.data.tokens import DataError

GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SYLLABLES = ["the", "of", "an", "in", "re", "con", "ter", "ing", "ed", "al", "ly", "tion", "s", "pro", "ex", "ma", "ri", "st"]


def make_words(rng, n=20_000):
    lengths = rng.integers(1, 4, size=n)
    return sorted({"".join(rng.choice(SYLLABLES, size=k)) for k in lengths})


def write_corpus(root: Path, megabytes: float, rng) -> list[str]:
    words = np.array(make_words(rng))
    p = 1.0 / np.arange(1, words.size + 1)
    p /= p.sum()
    written, shard = 0, 0
    while written < megabytes * 1e6:
        with open(root / f"shard{shard:03d}.jsonl", "w") as f:
            for _ in range(2000):
                n = int(rng.integers(200, 800))
                text = " ".join(words[rng.choice(words.size, size=n, p=p)]) + ". " + str(int(rng.integers(1e6))) + "\n"
                line = json.dumps({"text": text})
                f.write(line + "\n")
                written += len(line)
        shard += 1
    return list(words)


def offline_encoding(words: list[str]) -> tiktoken.Encoding:
    ranks = {bytes([i]): i for i in range(256)}
    for word in words[:30_000]:
        piece = (" " + word).encode()
        for end in range(2, len(piece) + 1):  # every prefix, so BPE can build the word left to right
            ranks.setdefault(piece[:end], len(ranks))
    return tiktoken.Encoding("offline-bpe", pat_str=GPT2_PATTERN, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": len(ranks)})


class PeakRSS:
    """Peak resident memory of this process and its worker processes together, sampled every
    50 ms (this process's ru_maxrss as a floor)."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        proc = psutil.Process()
        while not self._stop.is_set():
            total = proc.memory_info().rss
            for child in proc.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # a worker that just exited
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=100.0, help="size of the generated text corpus")
    parser.add_argument("--threads", type=int, default=tokenize.default_threads())
    parser.add_argument("--encoding", choices=["auto", "gpt2", "offline"], default="auto")
    parser.add_argument("--batch-documents", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5,
                        help="interleaved repeats of the single-thread reference and the parallel sample run")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        words = write_corpus(root, args.mb, rng)
        print(f"corpus: {args.mb:g} MB of text in {len(list(root.glob('*.jsonl')))} .jsonl shards ({time.perf_counter() - t0:.1f} s to write)")
        enc = None
        if args.encoding in ("auto", "gpt2"):
            try:
                enc = tokenize.gpt2_encoding()
            except DataError as err:
                if args.encoding == "gpt2":
                    sys.exit(f"bench_tokenize: {err}")
                print(f"GPT-2 vocabulary unavailable ({str(err).split(':')[0]}); using an offline BPE built from the corpus")
        enc = enc or offline_encoding(words)
        print(f"encoding: {enc.name}, {enc.n_vocab} tokens")

        # tiktoken's single-thread rate on a sample of the same documents, through the call the
        # stage makes (encode_to_numpy, the array form of encode_ordinary: the fastest of the
        # three here; encode_ordinary_batch(num_threads=1) is about half as fast)
        sample = [json.loads(line)["text"] for line in open(root / "shard000.jsonl")][:1000]
        [enc.encode_to_numpy(text, disallowed_special=()) for text in sample[:50]]  # warm-up

        def single_thread_rate():
            t = time.perf_counter()
            n = sum(enc.encode_to_numpy(text, disallowed_special=()).size for text in sample)
            return n / (time.perf_counter() - t)

        def pipeline_rate(threads):  # the stage's own tokenize_texts (worker processes) on the sample
            t = time.perf_counter()
            n = sum(flat.size for flat, _ in tokenize.tokenize_texts(sample * 2, enc, args.batch_documents, threads))
            return n / (time.perf_counter() - t)

        # The reference and the parallel rate, interleaved in alternating order and summarised by
        # medians: on a shared machine the load changes within a run, and a single reference
        # measurement swung 2x (issue 16).
        singles, parallels = [], []
        for r in range(args.repeats):
            pair = [(singles, single_thread_rate), (parallels, lambda: pipeline_rate(args.threads))]
            for store, measure in (pair if r % 2 == 0 else pair[::-1]):
                store.append(measure())
        pipeline_1 = pipeline_rate(1)

        cfg = dict(source="local", fractions=[1.0, 0.01, 0.001], val_fraction=0.0005,
                   batch_documents=args.batch_documents, local={"paths": [str(root / "*.jsonl")], "text_column": "text"})
        stage_time = {}
        original = prepare.stage_corpus

        def timed_stage(*a, **kw):  # time the tokenization pass alone (reading + encoding + writing)
            t = time.perf_counter()
            out = original(*a, **kw)
            stage_time["s"] = time.perf_counter() - t
            return out

        prepare.stage_corpus = timed_stage
        with PeakRSS() as rss:
            t0 = time.perf_counter()
            written = prepare.prepare_data(cfg, root / "out", seed=0, encoding=enc, threads=args.threads, progress=False)
            total_s = time.perf_counter() - t0
        tokens = sum(m["tokens"] for m in written.values() if m["split"] == "val" or m["fraction"] == 1.0)

        singles.append(single_thread_rate())  # once more after the full stage
    single = float(np.median(singles))
    pipeline_n = float(np.median(parallels))
    rate = tokens / stage_time["s"]
    cores = args.threads
    print(f"cores (threads): {cores}")
    print(f"tiktoken single-thread rate: median {single:,.0f} tokens/s of {len(singles)} "
          f"(range {min(singles):,.0f}-{max(singles):,.0f})")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work skews the figures)")
    print(f"tokenization throughput: {rate:,.0f} tokens/s ({tokens:,} tokens in {stage_time['s']:.2f} s)")
    print(f"efficiency vs cores x single-thread: {rate / (cores * single):.0%} (goal >= 80%; full stage vs median reference)")
    ratios = [p / (cores * s1) for p, s1 in zip(parallels, singles)]
    print(f"sample, interleaved: parallel median {pipeline_n:,.0f} tokens/s (range {min(parallels):,.0f}-"
          f"{max(parallels):,.0f}); efficiency per repeat pair: median {np.median(ratios):.0%} "
          f"(range {min(ratios):.0%}-{max(ratios):.0%})")
    print(f"whole data stage (tokenize, split, write 4 files): {total_s:.2f} s, {tokens / total_s:,.0f} tokens/s")
    print(f"sample, the stage's tokenize_texts: {pipeline_1:,.0f} tokens/s on 1 thread, median {pipeline_n:,.0f} on {cores} "
          f"(scaling {pipeline_n / pipeline_1:.2f}x of {cores}x)")
    print(f"peak RSS, this process and its workers: {rss.peak / 2**20:,.0f} MiB (goal < 2048 MiB)")
    print(f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
