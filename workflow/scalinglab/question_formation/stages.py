"""One function per rule of workflow/rules/question_formation.smk (Niu et al. 2024 §6.3), named
after the rule: paths and the config values the rule passes as params in, files out."""
from __future__ import annotations

import json
import os

import pandas as pd

from ..io import write_csv


def question_formation_data(*, train: str, test: str, gen: str, meta: str, source: str, url: str,
                            train_pairs: int, test_pairs: int, gen_pairs: int, seed: int, quest_fraction: float,
                            withhold_subject_rc_questions: bool) -> None:
    """Question-formation pairs (McCoy et al.'s files or the generator) -> train/test/gen split files."""
    from .data import prepare

    try:
        info = prepare(os.path.dirname(meta), source=str(source), url=url, train_pairs=train_pairs,
                       test_pairs=test_pairs, gen_pairs=gen_pairs, seed=seed, quest_fraction=quest_fraction,
                       withhold_subject_rc_questions=withhold_subject_rc_questions)
    except RuntimeError as err:  # a failed download: one line, like a bad value
        raise ValueError(str(err)) from None
    print({k: v["pairs"] for k, v in info["splits"].items()}, "entropy rate", info["entropy_per_token_nats"])


def question_formation_train(*, train: str, test: str, gen: str, meta: str, loss: str, evals: str, summary: str,
                             model: dict, training: dict, seed: int, threads: int) -> None:
    """A vanilla Transformer on question formation, loss logged every step; resumes from run/checkpoint.pt."""
    import torch

    from .mccoy import load_pairs
    from .train import QFTrainConfig, train_question_formation

    torch.set_num_threads(max(1, threads))
    with open(meta, encoding="utf-8") as fh:
        info = json.load(fh)
    cfg = QFTrainConfig(**model, **training, seed=seed)
    sets = {"test": load_pairs(test), "gen": load_pairs(gen)}
    fingerprint = ",".join(info["splits"][s]["sha256"] for s in ("train", "test", "gen"))
    train_question_formation(load_pairs(train), sets, os.path.dirname(summary), cfg,
                             log=lambda m: print(m, flush=True), fingerprint=fingerprint)


def question_formation_fig4(*, loss: str, evals: str, summary: str, meta: str, figure: str, table: str,
                            bound: dict) -> None:
    """Figure 4: loss against step with its entropy floor and Niu et al. §5's ≈1-nat claim (drawn as
    a claim, not a bound), accuracy panel; the final-accuracy table."""
    from ..memory.bound import cross_entropy_lower_bound
    from .figures import fig4

    with open(meta, encoding="utf-8") as fh:
        info = json.load(fh)
    with open(summary, encoding="utf-8") as fh:
        run = json.load(fh)
    n_embd = bound["n_embd"] or run["model"]["n_embd"]
    patterns = bound["num_patterns"] or info["splits"]["train"]["tokens"]
    # Niu et al. §5's ≈1-nat value under its conditions (our reconstruction), drawn as a claim.
    lower = cross_entropy_lower_bound(int(n_embd), float(patterns), bound["radius"])
    loss_table = pd.read_csv(loss)
    eval_table = pd.read_csv(evals)
    fig4(loss_table, eval_table, lower, info["entropy_per_token_nats"], figure,
                            title=f"Question formation ({info['source']}, "
                                  f"{info['splits']['train']['tokens']:,} training tokens)")
    final = eval_table[eval_table["step"] == eval_table["step"].max()].copy()
    final["final_train_loss"] = loss_table["loss"].tail(max(1, len(loss_table) // 100)).mean()
    final["bound_nats"] = lower
    final["entropy_rate_nats"] = info["entropy_per_token_nats"]
    write_csv(final, table)
    print(final.to_string())
