"""The GPU check: every figure of issue 16 from one command, through the pipeline's own code.

    PYTHONPATH=workflow python benchmarks/gpu_check.py [--out results/gpu_check]     # one GPU, < 8 min
    PYTHONPATH=workflow python benchmarks/gpu_check.py --quick                       # CPU, seconds

Needs only torch, numpy, safetensors and pyarrow (a stock CUDA PyTorch image): no install, no
network. Parts, each with its peak device memory:

1. throughput: GPT-2 small (12 x 12 x 768, block 1024, vocabulary 50257 padded to 50304) through
   ``scalinglab.train.train_run`` itself (its model, fused AdamW, data windows drawn fresh each
   step, prefetch, loss), bf16, eager and ``torch.compile``, at several micro-batch sizes;
   tokens/s and MFU of the last timed interval (after warm-up and compilation). Variants at one
   micro-batch size show what each GPU-path fix is worth: unpadded vocabulary, the old float32
   copy of the logits for the loss, one host sync per step (log_interval 1).
2. resume: the real CLI (``python -m scalinglab.train --spec``) on generated tokens with the GPT-2
   shape: an uninterrupted run, and a run SIGKILLed after a checkpoint and resumed; metrics and
   weights compared (bit-identical, or the largest difference per column).
3. torchrun: ``torchrun --nproc_per_node 1`` through the same CLI (NCCL on CUDA, gloo on CPU:
   process group, DDP, data sharding, checkpointing on one device), compared with part 2's run.
4. distances: exact nearest memory at Q = 4096, M = 1,048,576, n = 1024 (memories resident on
   the device, and once from host memory), seconds and fraction of the device's measured float32
   matmul rate for the same products; nearest indices checked against float64 for 64 queries.

Prints one summary table and writes everything to <out>/gpu_check.json.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import csv
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from scalinglab import model as model_module  # noqa: E402
from scalinglab.data.tokens import TokenWriter  # noqa: E402
from scalinglab.devices import current_device_name, peak_flops  # noqa: E402
from scalinglab.memory.distances import nearest_neighbours  # noqa: E402
from scalinglab.train import train_run  # noqa: E402

WALL_CLOCK = ("tokens_per_s", "mfu")
THREADS = os.cpu_count()  # --quick: 1 (a shared CPU must not be oversubscribed)

FULL = dict(model=dict(n_layer=12, n_head=12, n_embd=768), block=1024, vocab=50257,
            batches=[8, 16, 32], compile_batches=[16, 32], variant_batch=16, bench_steps=40,
            bench_interval=20, train_tokens=4_000_000, resume_steps=200, resume_micro=8,
            resume_accum=2, resume_every=50, queries=4096, memories=1_048_576, width=1024)
QUICK = dict(model=dict(n_layer=2, n_head=2, n_embd=32), block=32, vocab=250,
             batches=[4, 8], compile_batches=[], variant_batch=4, bench_steps=6, bench_interval=3,
             train_tokens=30_000, resume_steps=16, resume_micro=4, resume_accum=2, resume_every=4,
             queries=128, memories=4096, width=32)


def log(msg: str):
    print(f"[gpu_check {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def write_tokens(path: Path, n: int, vocab: int, seed: int) -> str:
    """A learnable stream with the GPT-2 vocabulary: each token is the last plus 0-3 (mod V)."""
    rng = np.random.default_rng(seed)
    tokens = np.cumsum(rng.integers(0, 4, n)) % vocab
    w = TokenWriter(path.with_suffix(".bin"), vocab)
    w.write(tokens, documents=1)
    w.finish(tokenizer="generated", eot_token=vocab - 1, source="gpu_check", seed=seed, fraction=1.0)
    w.commit()
    return str(path.with_suffix(".json"))


def spec_for(run_dir: Path, data: dict, shape: dict, **train) -> dict:
    return dict(run_dir=str(run_dir), train_data=data["train"], val_data=data["val"],
                identity=dict(experiment="gpu_check", run=run_dir.name, model="gpt2-shape",
                              fraction=1.0, seed=0, budget=None),
                model=shape, train=train, threads=THREADS)


def reset_peak(cuda: bool):
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peak_gb(cuda: bool) -> float | None:
    return torch.cuda.max_memory_allocated() / 2**30 if cuda else None


def read_metrics(run_dir: Path) -> list[dict]:
    with open(run_dir / "metrics.csv") as f:
        return list(csv.DictReader(f))


# ---- 1. throughput through train_run ----

def throughput(cfg: dict, data: dict, work: Path, cuda: bool) -> list[dict]:
    rows = []
    cases = [dict(compile=False, micro=b) for b in cfg["batches"]]
    cases += [dict(compile=True, micro=b) for b in cfg["compile_batches"]]
    v = cfg["variant_batch"]
    cases += [dict(compile=False, micro=v, variant="unpadded vocabulary", vocab_multiple=1),
              dict(compile=False, micro=v, variant="float32 copy of logits for the loss", old_loss=True),
              dict(compile=False, micro=v, variant="host sync every step", log_interval=1)]
    for i, case in enumerate(cases):
        name = (f"{'compile' if case['compile'] else 'eager'} micro_batch {case['micro']}"
                + (f" ({case['variant']})" if case.get("variant") else ""))
        run_dir = work / f"throughput_{i}"
        train = dict(block_size=cfg["block"], micro_batch=case["micro"],
                     batch_tokens=case["micro"] * cfg["block"], max_steps=cfg["bench_steps"],
                     eval_interval=cfg["bench_interval"], eval_batches=1,
                     log_interval=case.get("log_interval", 1000), checkpoint_interval=10**9,
                     keep_checkpoints=1, compile=case["compile"], warmup_steps=10, dropout=0.0,
                     vocab_multiple=case.get("vocab_multiple", 64))
        saved = model_module.cross_entropy
        if case.get("old_loss"):  # the loss before the fix: a full float32 copy of the logits
            model_module.cross_entropy = lambda lg, t, V: F.cross_entropy(lg[:, :V].float(), t)
        reset_peak(cuda)
        t0 = time.perf_counter()
        try:
            with contextlib.redirect_stdout(open(os.devnull, "w")):
                summary = train_run(spec_for(run_dir, data, cfg["model"], **train))
            last = read_metrics(run_dir)[-1]
            row = dict(part="throughput", name=name, compile=case["compile"], micro_batch=case["micro"],
                       tokens_per_s=float(last["tokens_per_s"]), mfu=float(last["mfu"]),
                       final_loss=float(last["train_loss"]), dtype=summary["dtype"],
                       wall_s=time.perf_counter() - t0, peak_memory_gb=peak_gb(cuda))
        except Exception as exc:  # one failed case (e.g. out of memory) must not hide the others
            row = dict(part="throughput", name=name, error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                       wall_s=time.perf_counter() - t0, peak_memory_gb=peak_gb(cuda))
        finally:
            model_module.cross_entropy = saved
            if case["compile"]:
                torch._dynamo.reset()
            shutil.rmtree(run_dir, ignore_errors=True)  # ~2 GB of checkpoint and weights per case
        log(f"throughput {name}: " + (f"{row['tokens_per_s']:,.0f} tok/s, MFU {row['mfu']:.1%}"
                                      if "error" not in row else row["error"]))
        rows.append(row)
    return rows


# ---- 2. and 3. the CLI: kill and resume, torchrun ----

def _cli(spec: dict, path: Path, torchrun: bool = False) -> subprocess.Popen:
    path.write_text(json.dumps(spec))
    env = dict(os.environ, PYTHONPATH=str(REPO / "workflow") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1"]
                if torchrun else [sys.executable])
    return subprocess.Popen(launcher + ["-m", "scalinglab.train", "--spec", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=REPO, text=True)


def _finish(proc: subprocess.Popen, what: str, timeout: float = 300) -> str:
    out = proc.communicate(timeout=timeout)[0]
    if proc.returncode != 0:
        raise RuntimeError(f"{what} exited {proc.returncode}: {out.strip().splitlines()[-1] if out.strip() else ''}")
    return out


def compare_runs(a: Path, b: Path) -> dict:
    """Metrics (but the wall-clock columns) and final weights of two finished runs."""
    ra, rb = read_metrics(a), read_metrics(b)
    out = dict(steps_a=[int(r["step"]) for r in ra] == [int(r["step"]) for r in rb])
    diffs = {}
    for col in ra[0]:
        if col in WALL_CLOCK:
            continue
        same = all(x[col] == y[col] for x, y in zip(ra, rb))
        if not same:
            try:
                diffs[col] = max(abs(float(x[col]) - float(y[col])) for x, y in zip(ra, rb)
                                 if not (math.isnan(float(x[col])) and math.isnan(float(y[col]))))
            except ValueError:
                diffs[col] = "differs"
    from safetensors.torch import load_file
    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    weight_diff = max(float((wa[k].double() - wb[k].double()).abs().max()) for k in wa)
    return dict(metrics_identical=not diffs and len(ra) == len(rb), max_abs_diff=diffs,
                weights_identical=weight_diff == 0.0, weights_max_abs_diff=weight_diff)


def cli_runs(cfg: dict, data: dict, work: Path, cuda: bool) -> list[dict]:
    every = cfg["resume_every"]
    train = dict(block_size=cfg["block"], micro_batch=cfg["resume_micro"],
                 batch_tokens=cfg["resume_micro"] * cfg["resume_accum"] * cfg["block"],
                 max_steps=cfg["resume_steps"], eval_interval=every // 2, eval_batches=2,
                 log_interval=10, checkpoint_interval=every, keep_checkpoints=2, warmup_steps=20,
                 dropout=0.1)  # dropout: the resumed run must restore the (CUDA) RNG too
    rows = []
    t0 = time.perf_counter()
    ref = work / "cli_uninterrupted"
    out = _finish(_cli(spec_for(ref, data, cfg["model"], **train), work / "ref.json"), "uninterrupted run")
    s_ref = json.loads((ref / "summary.json").read_text())
    rows.append(dict(part="cli", name="uninterrupted run", wall_s=time.perf_counter() - t0,
                     tokens_per_s=float(read_metrics(ref)[-1]["tokens_per_s"]),
                     mfu=float(read_metrics(ref)[-1]["mfu"]), final_loss=s_ref["final_train_loss"],
                     peak_memory_gb=s_ref.get("peak_memory_gb")))

    t0 = time.perf_counter()
    killed = work / "cli_killed"
    spec = spec_for(killed, data, cfg["model"], **train)
    proc = _cli(spec, work / "killed.json")
    target = killed / "checkpoints" / f"step_{2 * every:08d}.pt"
    deadline = time.time() + 300
    while not target.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    if cuda:
        time.sleep(0.5)  # land mid-run, some steps after the checkpoint (the CPU run is too short to wait)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    if proc.returncode != -signal.SIGKILL:
        raise RuntimeError(f"the run to be killed ended by itself (exit {proc.returncode})")
    out = _finish(_cli(spec, work / "killed.json"), "resumed run")
    resumed_line = next((ln for ln in out.splitlines() if "resumed" in ln), "no 'resumed' line")
    cmp = compare_runs(ref, killed)
    s = json.loads((killed / "summary.json").read_text())
    rows.append(dict(part="cli", name="SIGKILL + resume vs uninterrupted", wall_s=time.perf_counter() - t0,
                     resumed=resumed_line.strip(), peak_memory_gb=s.get("peak_memory_gb"), **cmp))
    log(f"resume: {resumed_line.strip()}; metrics identical {cmp['metrics_identical']}, "
        f"weights identical {cmp['weights_identical']} (max |diff| {cmp['weights_max_abs_diff']:.3g})")

    t0 = time.perf_counter()
    tr = work / "cli_torchrun"
    out = _finish(_cli(spec_for(tr, data, cfg["model"], **train), work / "torchrun.json", torchrun=True),
                  "torchrun run")
    s = json.loads((tr / "summary.json").read_text())
    cmp = compare_runs(ref, tr)
    rows.append(dict(part="torchrun", name=f"torchrun --nproc_per_node 1 ({'nccl' if cuda else 'gloo'}) vs uninterrupted",
                     wall_s=time.perf_counter() - t0, tokens_per_s=float(read_metrics(tr)[-1]["tokens_per_s"]),
                     mfu=float(read_metrics(tr)[-1]["mfu"]), world_size=s["world_size"],
                     peak_memory_gb=s.get("peak_memory_gb"), **cmp))
    log(f"torchrun: metrics identical {cmp['metrics_identical']} (max |diff| {cmp['max_abs_diff']})")
    return rows


# ---- 4. memory distances ----

def _search_products(q: torch.Tensor, m: torch.Tensor, chunk: int):
    block = torch.empty(q.shape[0] * min(chunk, m.shape[0]), device=q.device)
    for m0 in range(0, m.shape[0], chunk):
        mm = m[m0:m0 + chunk]
        torch.mm(q, mm.T, out=block[:q.shape[0] * mm.shape[0]].view(q.shape[0], mm.shape[0]))


def _timed(fn, cuda: bool, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return times


def distances(cfg: dict, device: str, cuda: bool, repeats: int = 3) -> list[dict]:
    Q, M, n = cfg["queries"], cfg["memories"], cfg["width"]
    chunk = min(65_536, M)
    if cuda:  # train_run turned TF32 on; the search is exact float32, as in the pipeline's own job
        torch.backends.cuda.matmul.allow_tf32 = False
    reset_peak(cuda)
    g = torch.Generator(device=device).manual_seed(0)
    q = torch.randn(Q, n, device=device, generator=g)
    m = torch.randn(M, n, device=device, generator=g)
    nearest_neighbours(q[:64], m[:4096], chunk, 4096, torch.device(device))  # warm-up
    _search_products(q, m[:chunk], chunk)
    ours = _timed(lambda: nearest_neighbours(q, m, chunk, 4096, torch.device(device)), cuda, repeats)
    products = _timed(lambda: _search_products(q, m, chunk), cuda, repeats)
    _, idx = nearest_neighbours(q, m, chunk, 4096, torch.device(device))
    peak = peak_gb(cuda)
    # exactness: float64 brute force for the first 64 queries, a block of memories at a time
    best = torch.full((64,), math.inf, dtype=torch.float64, device=device)
    ref = torch.zeros(64, dtype=torch.long, device=device)
    for m0 in range(0, M, chunk):
        d = torch.cdist(q[:64].double(), m[m0:m0 + chunk].double(), compute_mode="donot_use_mm_for_euclid_dist")
        v, i = d.min(dim=1)
        better = v < best
        best, ref = torch.where(better, v, best), torch.where(better, i + m0, ref)
    ref = ref.cpu().numpy()
    t, tp = float(np.median(ours)), float(np.median(products))
    flops = 2 * Q * M * n
    side = 8192 if cuda else 1024
    a = torch.randn(side, side, device=device)
    square = _timed(lambda: a @ a, cuda, repeats + 2)[2:]
    rows = [dict(part="distances", name=f"nearest memory Q={Q} M={M:,} n={n} (memories on {'GPU' if cuda else 'CPU'})",
                 seconds=t, all_s=ours, tflops=flops / t / 1e12, products_seconds=tp,
                 fraction_of_matmul=tp / t, square_matmul_tflops=2 * side**3 / float(np.median(square)) / 1e12,
                 fraction_of_square_matmul=(flops / t) / (2 * side**3 / float(np.median(square))),
                 exact_first_64=int((idx[:64] == ref).sum()), peak_memory_gb=peak)]
    if cuda:  # the pipeline's case: memories in host memory (a memmap), chunks copied over PCIe
        host = m.cpu().numpy()
        del m
        reset_peak(cuda)
        th = _timed(lambda: nearest_neighbours(q, host, chunk, 4096, torch.device(device)), cuda, 1)[0]
        rows.append(dict(part="distances", name=f"nearest memory Q={Q} M={M:,} n={n} (memories in host memory)",
                         seconds=th, tflops=flops / th / 1e12, fraction_of_matmul=tp / th,
                         peak_memory_gb=peak_gb(cuda)))
    for r in rows:
        log(f"distances {r['name']}: {r['seconds']:.3f} s, {r['fraction_of_matmul']:.0%} of the products' rate")
    return rows


# ---- the table ----

def table(rows: list[dict]) -> str:
    head = f"{'part':10s} {'what':62s} {'tok/s':>10s} {'MFU':>6s} {'seconds':>8s} {'peak GB':>8s}  result"
    lines = [head, "-" * len(head)]
    for r in rows:
        tps = f"{r['tokens_per_s']:,.0f}" if isinstance(r.get("tokens_per_s"), float) else ""
        mfu = f"{r['mfu']:.1%}" if isinstance(r.get("mfu"), float) and r["mfu"] == r["mfu"] else ""
        sec = r.get("seconds", r.get("wall_s"))
        peak = f"{r['peak_memory_gb']:.1f}" if isinstance(r.get("peak_memory_gb"), float) else "n/a"
        if "error" in r:
            result = r["error"]
        elif "metrics_identical" in r:
            result = ("metrics+weights bit-identical" if r["metrics_identical"] and r["weights_identical"]
                      else f"differ: {r['max_abs_diff']}, weights max |diff| {r['weights_max_abs_diff']:.3g}")
        elif r["part"] == "distances":
            result = f"{r['fraction_of_matmul']:.0%} of matmul rate"
            if "exact_first_64" in r:
                result += f", {r['exact_first_64']}/64 exact"
        else:
            result = f"loss {r['final_loss']:.3f}" if "final_loss" in r else ""
        lines.append(f"{r['part']:10s} {r['name'][:62]:62s} {tps:>10s} {mfu:>6s} {sec:8.2f} {peak:>8s}  {result}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny shapes on CPU, seconds (what the test runs)")
    ap.add_argument("--out", default=str(REPO / "results" / "gpu_check"), help="folder of gpu_check.json")
    ap.add_argument("--work", default=None, help="scratch folder for runs (default: a temporary one)")
    ap.add_argument("--parts", default="throughput,cli,distances", help="comma-separated subset")
    args = ap.parse_args(argv)
    cuda = torch.cuda.is_available() and not args.quick
    device = "cuda:0" if cuda else "cpu"
    if not cuda and not args.quick:
        print("error: no CUDA device is visible; run with --quick for the CPU check", file=sys.stderr)
        return 1
    cfg = QUICK if args.quick else FULL
    if args.quick:
        global THREADS
        THREADS = 1
        torch.set_num_threads(1)
    if cuda:
        torch.cuda.set_device(0)
    parts = set(args.parts.split(","))
    started = time.perf_counter()
    info = dict(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), host=platform.node(),
                device=current_device_name(device), torch=torch.__version__, cuda=torch.version.cuda,
                python=platform.python_version(), cpu_count=os.cpu_count(), load_average=os.getloadavg()[0],
                quick=args.quick, bf16_peak_tflops=(peak_flops(current_device_name(device), "bf16",
                                                               cpu_cores=torch.get_num_threads()) or 0) / 1e12)
    log(f"{info['device']}, torch {info['torch']}, CUDA {info['cuda']}")
    rows: list[dict] = []
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def write_json():  # after every part: a run cut short by a time limit still leaves its figures
        info["total_s"] = time.perf_counter() - started
        (out / "gpu_check.json").write_text(json.dumps(dict(info=info, rows=rows), indent=2, default=str) + "\n")

    with tempfile.TemporaryDirectory(prefix="gpu_check_") as tmp:
        work = Path(args.work or tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = dict(train=write_tokens(work / "train", cfg["train_tokens"], cfg["vocab"], 1),
                    val=write_tokens(work / "val", max(cfg["train_tokens"] // 20, 4 * cfg["block"] * 8),
                                     cfg["vocab"], 2))
        for part, fn in (("throughput", lambda: throughput(cfg, data, work, cuda)),
                         ("cli", lambda: cli_runs(cfg, data, work, cuda)),
                         ("distances", lambda: distances(cfg, device, cuda))):
            if part not in parts:
                continue
            try:
                rows += fn()
            except Exception as exc:  # report the part and go on: one call must give every number
                log(f"{part} failed: {type(exc).__name__}: {exc}")
                rows.append(dict(part=part, name="(failed)", error=f"{type(exc).__name__}: {str(exc)[:300]}",
                                 wall_s=0.0))
            write_json()
    write_json()
    text = table(rows)
    print(text)
    print(f"total {info['total_s']:.0f} s on {info['device']}")
    (out / "gpu_check.txt").write_text(text + "\n")
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
