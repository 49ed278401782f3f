"""Training throughput of the trainer itself: tokens/s and MFU of a named model, after warm-up.

    python benchmarks/bench_train.py --model gpt2 --micro-batch 16 --compile   # one GPU, bf16
    python benchmarks/bench_train.py --model demo-25k --block-size 64 --micro-batch 16   # CPU

Runs ``scalinglab.train.train_run`` (the code every training job runs: its model, AdamW fused on
CUDA, clipping, padded vocabulary, batches drawn fresh each step from a token file in the seeded
epoch order and prefetched, the divergence check once per log interval) on a generated token
stream (each token the previous plus 0-3, mod the vocabulary: learnable, so the loss falls as in
real training). Reported: tokens/s and MFU of the last timed interval (the trainer's own
metrics columns: evaluation and, with --compile, compilation fall outside it). MFU =
tokens/s x mfu_flops_per_token (6 N_with_head + 12 L T d, PaLM/nanoGPT) / the device's dense
peak (scalinglab.devices.PEAK_FLOPS). Goal on one H100, bf16, gpt2: >= 45% MFU.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from scalinglab import counting
from scalinglab.data.tokens import TokenWriter
from scalinglab.model import GPTConfig, model_shape
from scalinglab.train import train_run

REPO = Path(__file__).resolve().parents[1]


def ladder() -> dict:
    out = {}
    for f in ("config.yaml", "workflow/config/demo.yaml"):
        out.update(yaml.safe_load((REPO / f).read_text()).get("models") or {})
    return out


def write_tokens(path: Path, n: int, vocab: int, seed: int) -> str:
    tokens = np.cumsum(np.random.default_rng(seed).integers(0, 4, n)) % vocab
    w = TokenWriter(path.with_suffix(".bin"), vocab)
    w.write(tokens, documents=1)
    w.finish(tokenizer="generated", eot_token=vocab - 1, source="bench_train", seed=seed, fraction=1.0)
    w.commit()
    return str(path.with_suffix(".json"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="demo-25k")
    p.add_argument("--block-size", type=int, default=None, help="default: 1024 on CUDA, 64 on CPU")
    p.add_argument("--vocab-size", type=int, default=None, help="default: 50257 on CUDA (GPT-2), 512 on CPU")
    p.add_argument("--micro-batch", type=int, default=16)
    p.add_argument("--accum", type=int, default=1, help="micro-steps per optimizer step")
    p.add_argument("--steps", type=int, default=20, help="timed optimizer steps (after as many warm-up steps)")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--dtype", default="auto", choices=["auto", "bf16", "fp16", "fp32"])
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="auto")
    args = p.parse_args()
    cuda = args.device.startswith("cuda") or (args.device == "auto" and torch.cuda.is_available())
    block = args.block_size or (1024 if cuda else 64)
    vocab = args.vocab_size or (50257 if cuda else 512)
    shape = model_shape(args.model, ladder())
    cfg = GPTConfig(**shape, block_size=block, vocab_size=vocab)
    per_step = args.micro_batch * args.accum * block
    with tempfile.TemporaryDirectory(prefix="bench_train_") as tmp:
        tmp = Path(tmp)
        n_tokens = max(2 * args.steps * per_step, 8 * block) + 1
        data = write_tokens(tmp / "train", n_tokens, vocab, 1)
        val = write_tokens(tmp / "val", 4 * args.micro_batch * block + 1, vocab, 2)
        spec = dict(run_dir=str(tmp / "run"), train_data=data, val_data=val,
                    identity=dict(experiment="bench", run="bench", model=args.model, fraction=1.0, seed=0, budget=None),
                    model=shape, threads=args.threads or torch.get_num_threads(),
                    train=dict(block_size=block, micro_batch=args.micro_batch, batch_tokens=per_step,
                               max_steps=2 * args.steps, eval_interval=args.steps, eval_batches=1,
                               log_interval=10, checkpoint_interval=10**9, keep_checkpoints=1,
                               compile=args.compile, dtype=args.dtype, device=args.device, warmup_steps=10))
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(open(os.devnull, "w")):
            summary = train_run(spec)
        wall = time.perf_counter() - t0
        with open(tmp / "run" / "metrics.csv") as f:
            rows = list(csv.DictReader(f))
    last = rows[-1]
    n = counting.param_counts(cfg)
    fpt = counting.mfu_flops_per_token(cfg)
    tps = float(last["tokens_per_s"])
    print(f"model {args.model}: n_layer={cfg.n_layer} n_head={cfg.n_head} n_embd={cfg.n_embd} block={block} "
          f"vocab={vocab} (padded to {summary['padded_vocab_size']}); params total {n['params_total']:,}, "
          f"non-embedding {n['params_non_embedding']:,}")
    print(f"device {summary['device']} ({summary['dtype']}, {torch.get_num_threads()} threads), compile={args.compile}, "
          f"micro_batch={args.micro_batch} x accum {args.accum}; {args.steps} timed steps after {args.steps} warm-up")
    print(f"tokens/s        {tps:,.0f}")
    print(f"step time       {per_step / tps * 1e3:.1f} ms")
    print(f"achieved FLOP/s {tps * fpt:.3e} ({fpt:,} FLOP/token, 6N_head + 12LTd)")
    mfu = float(last["mfu"])
    print(f"MFU             {mfu:.1%}" if mfu == mfu else "MFU             n/a (device not in PEAK_FLOPS)")
    print(f"loss            {float(rows[0]['train_loss']):.3f} -> {float(last['train_loss']):.3f} "
          f"(fresh batches; wall {wall:.1f} s incl. setup and evaluation)")


if __name__ == "__main__":
    main()
