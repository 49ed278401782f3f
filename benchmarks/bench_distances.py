"""Exact nearest-memory search: scalinglab beside faiss's IndexFlatL2 and the raw matmul rate.

    python benchmarks/bench_distances.py [--queries 4096] [--memories 262144] [--width 1024]
                                         [--chunk-size 65536] [--query-chunk 4096] [--device auto]
                                         [--repeats 3] [--threads N] [--json out.json]

Each repeat times, back to back and in alternating order (so that a load change on a shared
machine hits both alike), scalinglab.memory.distances.nearest_neighbours, faiss.IndexFlatL2
(CPU only, when faiss is importable: ``pip install faiss-cpu``; an optional benchmark dependency,
never needed by the pipeline or the tests), and one float32 matrix product of the same shape
(Q × n by n × chunk, the search's own products without the min). Reported: median seconds,
Q·M·n/s, the search's product FLOP rate (2·Q·M·n FLOPs) and its fraction of the measured matmul
rate; whether faiss's nearest indices equal ours. On a contended machine use CPU time (the script
prints process CPU seconds too) and say so beside any figure.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch

from scalinglab.memory.distances import nearest_neighbours, resolve_device


def _timed(fn, dev) -> tuple[float, float, object]:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    return time.perf_counter() - w0, time.process_time() - c0, out


def matmul_like_search(q: torch.Tensor, m: torch.Tensor, chunk: int) -> None:
    """The search's products alone: Q × n by n × chunk, into one preallocated block."""
    block = torch.empty(q.shape[0] * min(chunk, m.shape[0]), device=q.device)
    for m0 in range(0, m.shape[0], chunk):
        mm = m[m0:m0 + chunk]
        torch.mm(q, mm.T, out=block[:q.shape[0] * mm.shape[0]].view(q.shape[0], mm.shape[0]))


def run(queries=4096, memories=262_144, width=1024, chunk_size=65_536, query_chunk=4096,
        device="auto", repeats=3, use_faiss=True, seed=0) -> dict:
    dev = resolve_device(device)
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((queries, width), dtype=np.float32)
    m = rng.standard_normal((memories, width), dtype=np.float32)
    qt, mt = torch.from_numpy(q).to(dev), torch.from_numpy(m).to(dev)  # resident: measure the search
    faiss = None
    if use_faiss and dev.type == "cpu":
        try:
            import faiss  # noqa: F811
        except ImportError:
            faiss = None
    index = None
    if faiss is not None:
        faiss.omp_set_num_threads(torch.get_num_threads())
        index = faiss.IndexFlatL2(width)
        index.add(m)
    runs = {"scalinglab": lambda: nearest_neighbours(qt, mt, chunk_size, query_chunk, dev),
            "matmul": lambda: matmul_like_search(qt, mt, chunk_size)}
    if index is not None:
        runs["faiss"] = lambda: index.search(q, 1)
    nearest_neighbours(qt[:64], mt[:4096], chunk_size, query_chunk, dev)  # warm-up
    wall = {k: [] for k in runs}
    cpu = {k: [] for k in runs}
    answers = {}
    names = list(runs)
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):  # interleaved, alternating order
            w, c, out = _timed(runs[name], dev)
            wall[name].append(w)
            cpu[name].append(c)
            answers[name] = out
    qmn = queries * memories * width
    result = dict(device=torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
                  threads=torch.get_num_threads(), queries=queries, memories=memories, width=width,
                  chunk_size=chunk_size, query_chunk=query_chunk, repeats=repeats,
                  load_average=os.getloadavg()[0], date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    for name in runs:
        t = statistics.median(wall[name])
        result[name] = dict(median_s=t, all_s=wall[name], cpu_s=statistics.median(cpu[name]),
                            gflops=2 * qmn / t / 1e9)
    mm = result["matmul"]["gflops"]
    for name in runs:
        result[name]["fraction_of_matmul"] = result[name]["gflops"] / mm
        # CPU seconds (all threads) hold up better than wall time on a shared machine
        result[name]["fraction_of_matmul_cpu"] = result["matmul"]["cpu_s"] / result[name]["cpu_s"]
    if "faiss" in answers:
        ours = answers["scalinglab"][1]
        theirs = answers["faiss"][1][:, 0]
        result["faiss"]["same_indices"] = int((ours == theirs).sum())
        result["faiss_over_scalinglab_time"] = result["faiss"]["median_s"] / result["scalinglab"]["median_s"]
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=4096)
    ap.add_argument("--memories", type=int, default=262_144)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--chunk-size", type=int, default=65_536)
    ap.add_argument("--query-chunk", type=int, default=4096)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--no-faiss", action="store_true")
    ap.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    r = run(args.queries, args.memories, args.width, args.chunk_size, args.query_chunk, args.device,
            args.repeats, not args.no_faiss)
    print(f"device {r['device']} ({r['threads']} threads), load average {r['load_average']:.2f}, {r['date']}")
    print(f"Q={r['queries']} M={r['memories']} n={r['width']} chunk={r['chunk_size']} "
          f"query_chunk={r['query_chunk']}, median of {r['repeats']} interleaved repeats")
    print(f"{'':12s} {'median s':>9s} {'cpu s':>8s} {'GFLOP/s':>9s} {'of matmul':>10s} {'(cpu s)':>8s}")
    for name in ("scalinglab", "faiss", "matmul"):
        if name in r:
            x = r[name]
            print(f"{name:12s} {x['median_s']:9.3f} {x['cpu_s']:8.2f} {x['gflops']:9.1f} "
                  f"{x['fraction_of_matmul']:10.1%} {x['fraction_of_matmul_cpu']:8.1%}")
    if "faiss" in r:
        print(f"faiss / scalinglab time: {r['faiss_over_scalinglab_time']:.2f}; same nearest index for "
              f"{r['faiss']['same_indices']}/{r['queries']} queries")
    else:
        print("faiss: not importable here (optional: pip install faiss-cpu)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=2)


if __name__ == "__main__":
    main()
