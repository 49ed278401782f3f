"""Training throughput: tokens/s and MFU of a named model on this device, after warm-up.

    python benchmarks/bench_train.py --model gpt2 --micro-batch 16 --compile   # one GPU, bf16
    python benchmarks/bench_train.py --model demo-25k --block-size 64 --micro-batch 16   # CPU

Times full optimizer steps (forward, backward, AdamW (fused on CUDA), clipping) on random tokens
through the same model and optimizer code the trainer uses. MFU = tokens/s x
mfu_flops_per_token (6 N_with_head + 12 L T d, PaLM/nanoGPT) / the device's dense peak
(scalinglab.devices.PEAK_FLOPS). Goal on one H100, bf16, gpt2: >= 45% MFU.
"""
from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import torch
import yaml

from scalinglab import counting
from scalinglab.devices import current_device_name, peak_flops
from scalinglab.model import GPT, GPTConfig, model_shape

REPO = Path(__file__).resolve().parents[1]


def ladder() -> dict:
    out = {}
    for f in ("config.yaml", "workflow/config/demo.yaml"):
        out.update(yaml.safe_load((REPO / f).read_text()).get("models") or {})
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="demo-25k")
    p.add_argument("--block-size", type=int, default=None, help="default: 1024 on CUDA, 64 on CPU")
    p.add_argument("--vocab-size", type=int, default=None, help="default: 50304 on CUDA (GPT-2 padded), 512 on CPU")
    p.add_argument("--micro-batch", type=int, default=16)
    p.add_argument("--accum", type=int, default=1, help="micro-steps per optimizer step")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    cuda = args.device.startswith("cuda")
    if args.threads:
        torch.set_num_threads(args.threads)
    block = args.block_size or (1024 if cuda else 64)
    vocab = args.vocab_size or (50304 if cuda else 512)
    cfg = GPTConfig(**model_shape(args.model, ladder()), block_size=block, vocab_size=vocab)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    dtype = "bf16" if cuda else "fp32"
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()
    torch.manual_seed(0)
    model = GPT(cfg).to(args.device)
    opt = model.configure_optimizer(6e-4, 0.1, (0.9, 0.95), fused=cuda)
    step_model = torch.compile(model) if args.compile else model
    x = torch.randint(0, vocab, (args.micro_batch, block + 1), device=args.device)
    inputs, targets = x[:, :-1], x[:, 1:].contiguous()

    def step():
        for _ in range(args.accum):
            with autocast:
                _, loss = step_model(inputs, targets)
            (loss / args.accum).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    for _ in range(args.warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    loss.item()
    if cuda:
        torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    tokens_per_s = args.steps * args.accum * args.micro_batch * block / dt
    name = current_device_name(args.device)
    peak = peak_flops(name, dtype, cpu_cores=torch.get_num_threads())
    fpt = counting.mfu_flops_per_token(cfg)
    n = counting.param_counts(cfg)
    print(f"model {args.model}: n_layer={cfg.n_layer} n_head={cfg.n_head} n_embd={cfg.n_embd} "
          f"block={block} vocab={vocab}; params total {n['params_total']:,}, non-embedding "
          f"{n['params_non_embedding']:,}")
    print(f"device {name} ({dtype}, {torch.get_num_threads()} threads), compile={args.compile}, "
          f"micro_batch={args.micro_batch} x accum {args.accum}, {args.steps} timed steps after {args.warmup} warm-up")
    print(f"tokens/s        {tokens_per_s:,.0f}")
    print(f"step time       {dt / args.steps * 1e3:.1f} ms")
    print(f"achieved FLOP/s {tokens_per_s * fpt:.3e} ({fpt:,} FLOP/token, 6N_head + 12LTd)")
    if peak:
        print(f"MFU             {tokens_per_s * fpt / peak:.1%} of {peak:.3e} FLOP/s peak")
    else:
        print("MFU             n/a (device not in scalinglab.devices.PEAK_FLOPS)")


if __name__ == "__main__":
    main()
