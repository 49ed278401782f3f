"""A vanilla Transformer trained on question formation, as in Niu et al. 2024 §6.3.

Choice (the paper only says "vanilla Transformer"): a decoder-only Transformer
(:class:`scalinglab.model.GPT`, pre-LayerNorm, learned positions) over the whole line
`source . marker target`, with the next-token cross-entropy on EVERY predicted token. The paper
reports the training loss of language-model training on the 2M-token corpus settling near 1
nat; a loss on the target alone would fall to 0 (the target is a function of source and
marker), so we train on all tokens and log the target-only and source-only parts beside it.
The irreducible part of that loss is the grammar's entropy rate
(:func:`scalinglab.question_formation.grammar.entropy_rate`, ≈0.99 nats/token for McCoy et al.'s grammar).

The loss is logged at every step (loss.csv); evaluation rows (eval.csv) hold greedy-decoding
accuracy on held-out pairs: sequence accuracy (the whole target exact) and first-word accuracy
(for questions, the fronted auxiliary; on the generalisation set, whose subjects carry a relative
clause, that is McCoy et al.'s hierarchical-generalisation signal). Batches are drawn from a
generator seeded by (seed, step), so a run resumed from its checkpoint replays exactly.
"""
from __future__ import annotations

import csv
import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch.nn import functional as F

from ..model import GPT, GPTConfig
from .grammar import Pair
from .vocab import MODEL_VOCAB_SIZE, PAD_ID, TOKEN_ID, encode

LOSS_COLUMNS = ["step", "tokens", "lr", "loss", "source_loss", "target_loss", "tokens_per_s"]
EVAL_COLUMNS = ["step", "split", "pairs", "loss", "sequence_accuracy", "first_word_accuracy",
                "question_first_word_accuracy"]


@dataclass
class QFTrainConfig:
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 128
    max_steps: int = 2000
    batch_size: int = 64
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 50
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    eval_every: int = 200
    eval_pairs: int = 500
    checkpoint_every: int = 500
    seed: int = 0
    device: str = "auto"

    def __post_init__(self):
        for name in ("n_layer", "n_head", "n_embd", "max_steps", "batch_size", "eval_every",
                     "eval_pairs", "checkpoint_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"question_formation.train.{name}={getattr(self, name)} must be >= 1")
        if self.lr <= 0:
            raise ValueError(f"question_formation.train.lr={self.lr} must be positive")


def _lr_at(cfg: QFTrainConfig, step: int) -> float:
    """Linear warmup, then cosine decay to min_lr_ratio·lr at max_steps."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.max_steps - cfg.warmup_steps)
    floor = cfg.lr * cfg.min_lr_ratio
    return floor + 0.5 * (cfg.lr - floor) * (1 + math.cos(math.pi * min(progress, 1.0)))


def encode_pairs(pairs: list[Pair]) -> list[torch.Tensor]:
    return [torch.tensor(encode(p.sequence()), dtype=torch.long) for p in pairs]


def _batch(seqs: list[torch.Tensor]):
    """Inputs, targets (PAD -> ignored) and a mask of the target-side predictions."""
    T = max(len(s) for s in seqs)
    x = torch.full((len(seqs), T), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        x[i, :len(s)] = s
    inputs, targets = x[:, :-1], x[:, 1:].clone()
    targets[targets == PAD_ID] = -100
    marker = (inputs == TOKEN_ID["decl"]) | (inputs == TOKEN_ID["quest"])
    after_marker = marker.cumsum(dim=1) > 0  # predictions made at or after the marker = target
    return inputs, targets, after_marker


def _losses(model, inputs, targets, after_marker):
    logits, _ = model(inputs)
    per_token = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), targets.reshape(-1),
                                ignore_index=-100, reduction="none").view(targets.shape)
    valid = targets != -100
    tgt = valid & after_marker
    src = valid & ~after_marker
    loss = per_token[valid].mean()
    return loss, per_token[src].mean().detach(), per_token[tgt].mean().detach(), int(valid.sum())


@torch.no_grad()
def evaluate(model, pairs: list[Pair], device, batch_size: int = 256) -> dict:
    """Teacher-forced loss and greedy-decoding accuracies on `pairs`.

    The target has exactly len(source) + 1 words for both tasks, so decoding runs that many
    steps from the prompt `source . marker`; pairs are grouped by source length.
    """
    model.eval()
    seqs = encode_pairs(pairs)
    total_loss, total_tokens = 0.0, 0
    for i in range(0, len(seqs), batch_size):
        inputs, targets, after = _batch(seqs[i:i + batch_size])
        loss, _, _, n = _losses(model, inputs.to(device), targets.to(device), after.to(device))
        total_loss += float(loss) * n
        total_tokens += n
    by_len: dict[int, list[int]] = {}
    for i, p in enumerate(pairs):
        by_len.setdefault(len(p.source), []).append(i)
    exact = first = q_first = q_total = 0
    for length, idx in by_len.items():
        for j in range(0, len(idx), batch_size):
            chunk = idx[j:j + batch_size]
            prompt = torch.stack([seqs[k][:length + 2] for k in chunk]).to(device)
            want = torch.stack([seqs[k][length + 2:] for k in chunk]).to(device)
            out = prompt
            for _ in range(want.size(1)):
                logits, _ = model(out)
                nxt = logits[:, -1, :PAD_ID].argmax(dim=-1, keepdim=True)  # never emit PAD
                out = torch.cat([out, nxt], dim=1)
            got = out[:, length + 2:]
            exact += int((got == want).all(dim=1).sum())
            hit = got[:, 0] == want[:, 0]
            first += int(hit.sum())
            is_q = torch.tensor([pairs[k].marker == "quest" for k in chunk], device=device)
            q_first += int((hit & is_q).sum())
            q_total += int(is_q.sum())
    model.train()
    n = len(pairs)
    return dict(pairs=n, loss=total_loss / max(total_tokens, 1), sequence_accuracy=exact / n,
                first_word_accuracy=first / n,
                question_first_word_accuracy=(q_first / q_total) if q_total else float("nan"))


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _read_rows(path: Path, max_step: int) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return [r for r in csv.DictReader(fh) if int(r["step"]) <= max_step]


def _rewrite(path: Path, columns: list[str], rows: list[dict]):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)


def train_question_formation(train_pairs: list[Pair], eval_sets: dict[str, list[Pair]],
                             out_dir: str | os.PathLike, cfg: QFTrainConfig,
                             log=print, fingerprint: str = "",
                             stop_at: int | None = None) -> dict | None:
    """Train, logging every step to out_dir/loss.csv and evaluations to out_dir/eval.csv.

    While running, the rows go to progress_loss.csv / progress_eval.csv; loss.csv and eval.csv
    appear (atomically) only when the run has finished.

    Resumes from out_dir/checkpoint.pt when present (rows after the checkpoint are dropped and
    replayed). Returns the summary also written to out_dir/summary.json; with `stop_at` below
    max_steps it checkpoints at that step and returns None (an interrupted run, for tests and
    time-sliced jobs).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    device = _device(cfg.device)
    torch.manual_seed(cfg.seed)
    seqs = encode_pairs(train_pairs)
    longest = max(len(s) for s in seqs)
    for pairs in eval_sets.values():
        longest = max(longest, max(len(p.sequence()) for p in pairs))
    gcfg = GPTConfig(n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd,
                     block_size=longest, vocab_size=MODEL_VOCAB_SIZE, bias=True, dropout=0.0)
    model = GPT(gcfg).to(device)
    opt = model.configure_optimizer(cfg.lr, cfg.weight_decay, (0.9, 0.98))
    ckpt_path = out / "checkpoint.pt"
    start, tokens = 0, 0
    identity = dict(model_config=gcfg.to_dict(), train_config=asdict(cfg), fingerprint=fingerprint)
    if ckpt_path.exists():
        try:
            ckpt = torch.load(ckpt_path, map_location=device, weights_only=False)
        except Exception as err:  # noqa: BLE001 - any unreadable file gets the same advice
            raise ValueError(f"{ckpt_path}: unreadable checkpoint ({type(err).__name__}); "
                             f"delete it to start the run afresh") from None
        if {k: ckpt.get(k) for k in identity} != identity:
            log(f"{ckpt_path} belongs to another configuration or data set: starting afresh")
            ckpt = None
    else:
        ckpt = None
    # Live logs sit beside the checkpoint, not at the output names: Snakemake deletes a job's
    # declared outputs before a retry, and the resumed run must keep the steps already logged.
    loss_path, eval_path = out / "progress_loss.csv", out / "progress_eval.csv"
    if ckpt is not None and len(_read_rows(loss_path, ckpt["step"] - 1)) != ckpt["step"]:
        log(f"{loss_path} lacks steps before the checkpoint's step {ckpt['step']}: starting afresh")
        ckpt = None
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        start, tokens = ckpt["step"], ckpt["tokens"]
        log(f"resuming from {ckpt_path} at step {start}")
    _rewrite(loss_path, LOSS_COLUMNS, _read_rows(loss_path, start - 1))
    _rewrite(eval_path, EVAL_COLUMNS, _read_rows(eval_path, start - 1))
    eval_subsets = {k: v[:cfg.eval_pairs] for k, v in eval_sets.items()}

    def run_eval(step):
        rows = []
        for split, pairs in eval_subsets.items():
            res = evaluate(model, pairs, device)
            rows.append(dict(step=step, split=split, **res))
            log(f"step {step:6d} eval {split}: loss {res['loss']:.4f} seq-acc "
                f"{res['sequence_accuracy']:.3f} first-word {res['first_word_accuracy']:.3f}")
        with open(eval_path, "a", newline="") as fh:
            csv.DictWriter(fh, fieldnames=EVAL_COLUMNS).writerows(rows)
        return rows

    def save_checkpoint(step):
        tmp = ckpt_path.with_name(".checkpoint.pt.tmp")
        torch.save(dict(model=model.state_dict(), optimizer=opt.state_dict(), step=step,
                        tokens=tokens, **identity), tmp)
        os.replace(tmp, ckpt_path)

    model.train()
    fh = open(loss_path, "a", newline="")
    writer = csv.DictWriter(fh, fieldnames=LOSS_COLUMNS)
    t0 = time.time()
    try:
        for step in range(start, min(cfg.max_steps, stop_at or cfg.max_steps)):
            if step % cfg.eval_every == 0:
                run_eval(step)
                t0 = time.time()  # keep evaluation out of tokens/s
            g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step)
            idx = torch.randint(len(seqs), (cfg.batch_size,), generator=g).tolist()
            inputs, targets, after = _batch([seqs[i] for i in idx])
            lr = _lr_at(cfg, step)
            for group in opt.param_groups:
                group["lr"] = lr
            loss, src_loss, tgt_loss, n = _losses(model, inputs.to(device), targets.to(device),
                                                  after.to(device))
            loss_value = float(loss.detach())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
            opt.step()
            tokens += n
            dt = time.time() - t0
            t0 = time.time()
            writer.writerow(dict(step=step, tokens=tokens, lr=f"{lr:.6g}", loss=f"{loss_value:.6f}",
                                 source_loss=f"{float(src_loss):.6f}",
                                 target_loss=f"{float(tgt_loss):.6f}",
                                 tokens_per_s=f"{n / max(dt, 1e-9):.1f}"))
            if step % 50 == 0 or step == cfg.max_steps - 1:
                fh.flush()
                log(f"step {step:6d} loss {loss_value:.4f} (source {float(src_loss):.3f}, "
                    f"target {float(tgt_loss):.3f}) lr {lr:.2e} {n / max(dt, 1e-9):,.0f} tok/s")
            if (step + 1) % cfg.checkpoint_every == 0:
                fh.flush()
                save_checkpoint(step + 1)
    finally:
        fh.close()
    if stop_at is not None and stop_at < cfg.max_steps:
        save_checkpoint(stop_at)
        return None
    final_rows = run_eval(cfg.max_steps)
    save_checkpoint(cfg.max_steps)
    for live, final in ((loss_path, out / "loss.csv"), (eval_path, out / "eval.csv")):
        tmp = final.with_name(f".{final.name}.tmp")
        shutil.copyfile(live, tmp)
        os.replace(tmp, final)
    summary = dict(
        model=gcfg.to_dict(), train=asdict(cfg), params=sum(p.numel() for p in model.parameters()),
        steps=cfg.max_steps, tokens=tokens, train_pairs=len(train_pairs),
        final={r["split"]: {k: r[k] for k in ("loss", "sequence_accuracy", "first_word_accuracy",
                                              "question_first_word_accuracy")} for r in final_rows},
    )
    tmp = out / ".summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, out / "summary.json")
    return summary
