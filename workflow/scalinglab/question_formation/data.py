"""The question-formation data stage: McCoy et al.'s files or the generator, to split files.

`source` (config question_formation.source): "generate" (the PCFG of scalinglab.question_formation.grammar,
seeded), "mccoy" (download McCoy et al.'s question.{train,dev,test}), or a local directory
holding question.{train,test,gen} (or question_formation.{train,test,gen}). Outputs, in McCoy's
line format: train.txt, test.txt, gen.txt (generalisation questions: subjects with a relative
clause, held out from training; McCoy et al.'s own question.gen with their files, the generator's
with `generate`) and a JSON sidecar with counts, tokens, sha256, the sentence-shape statistics of
each split (statistics.summarise) and, for generated data, the exact entropy rate (nats/token).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path

from . import grammar, mccoy, statistics
from .vocab import VOCAB


def _write_lines(path: Path, pairs) -> str:
    text = "".join(p.line() + "\n" for p in pairs)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return hashlib.sha256(text.encode()).hexdigest()


def _local_split(directory: Path, split: str) -> Path:
    for name in (f"question.{split}", f"question_formation.{split}"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(f"question_formation.source={str(directory)!r}: no question.{split} "
                            f"(or question_formation.{split}) in that directory; copy data/"
                            f"question.{split} of github.com/tommccoy1/rnn-hierarchical-biases there")


def load_source(source: str, cache_dir: Path, url: str = mccoy.MCCOY_URL, *, train_pairs: int,
                test_pairs: int, gen_pairs: int, seed: int, quest_fraction: float, withhold: bool):
    """(train, test, gen, description) from the configured source.

    Generated train and test come from one stream of distinct lines (disjoint, no repeats); with
    McCoy et al.'s files, gen is their question.gen (its first `gen_pairs` lines).
    """
    if source == "generate":
        both = grammar.generate_pairs(train_pairs + test_pairs, seed, quest_fraction, withhold)
        gen = grammar.generalisation_pairs(gen_pairs, seed + 2)
        return (both[:train_pairs], both[train_pairs:], gen,
                "generated (McCoy et al. 2020 grammar, weights of their released files)")
    if source == "mccoy":
        files = {s: mccoy.download(s, cache_dir / f"question.{s}", url) for s in ("train", "test", "gen")}
        description = f"McCoy et al. 2020 files from {url.format(split='{train,test,gen}')}"
    else:
        directory = Path(source)
        if not directory.is_dir():
            raise ValueError(f"question_formation.source={source!r} is neither 'generate', 'mccoy' "
                             f"nor an existing directory")
        files = {s: _local_split(directory, s) for s in ("train", "test", "gen")}
        description = f"McCoy-format files in {directory}"
    return (mccoy.load_pairs(files["train"]), mccoy.load_pairs(files["test"]),
            mccoy.load_pairs(files["gen"])[:gen_pairs], description)


def prepare(out_dir: str | os.PathLike, *, source: str = "generate", url: str = mccoy.MCCOY_URL,
            train_pairs: int = 100_000, test_pairs: int = 1_000, gen_pairs: int = 1_000,
            seed: int = 0, quest_fraction: float = 0.5, withhold_subject_rc_questions: bool = True
            ) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train, test, gen, description = load_source(
        source, out / "download", url, train_pairs=train_pairs, test_pairs=test_pairs,
        gen_pairs=gen_pairs, seed=seed, quest_fraction=quest_fraction,
        withhold=withhold_subject_rc_questions)
    meta = dict(source=source, description=description, seed=seed, vocab_size=len(VOCAB),
                quest_fraction=quest_fraction,
                withhold_subject_rc_questions=withhold_subject_rc_questions, splits={})
    for name, pairs in (("train", train), ("test", test), ("gen", gen)):
        sha = _write_lines(out / f"{name}.txt", pairs)
        meta["splits"][name] = dict(file=str(out / f"{name}.txt"), pairs=len(pairs),
                                    tokens=grammar.token_count(pairs),
                                    questions=sum(p.marker == "quest" for p in pairs), sha256=sha,
                                    statistics=statistics.summarise(pairs))
    # Exact only where every pair carries its PCFG log-probability (generated data).
    rate = grammar.entropy_rate(train) if all(math.isfinite(p.logprob) for p in train) else None
    meta["entropy_per_token_nats"] = rate
    tmp = out / ".data.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2))
    os.replace(tmp, out / "data.json")
    return meta
