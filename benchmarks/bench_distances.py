"""Throughput of the exact nearest-memory search against the device's measured matmul rate.

    python benchmarks/bench_distances.py [--queries 4096] [--memories 262144] [--width 1024]
                                         [--chunk-size 65536] [--query-chunk 4096] [--device auto]

Prints Q·M·n per second and the FLOP rate of the search (2·Q·M·n FLOPs in the products) beside the
float32 matrix-product rate measured on the same device, i.e. what fraction of the achievable
matmul rate the chunked search reaches (the rest: norms, min-reduction, host-to-device copies).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from scalinglab.memory.distances import matmul_rate, nearest_neighbours, resolve_device


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=4096)
    ap.add_argument("--memories", type=int, default=262_144)
    ap.add_argument("--width", type=int, default=1024)
    ap.add_argument("--chunk-size", type=int, default=65_536)
    ap.add_argument("--query-chunk", type=int, default=4096)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    dev = resolve_device(args.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    rng = np.random.default_rng(0)
    q = rng.standard_normal((args.queries, args.width), dtype=np.float32)
    m = rng.standard_normal((args.memories, args.width), dtype=np.float32)
    if dev.type == "cuda":  # resident memories: measure the search, not PCIe
        m = torch.from_numpy(m).to(dev)
    nearest_neighbours(q[:64], m[: min(len(m), 4096)], args.chunk_size, args.query_chunk, dev)  # warm-up
    times = []
    for _ in range(args.repeats):
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        t0 = time.perf_counter()
        nearest_neighbours(q, m, args.chunk_size, args.query_chunk, dev)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        times.append(time.perf_counter() - t0)
    t = min(times)
    qmn = args.queries * args.memories * args.width
    rate = matmul_rate(dev, size=4096 if dev.type == "cuda" else 1024)
    print(f"device: {name}")
    print(f"Q={args.queries} M={args.memories} n={args.width} chunk={args.chunk_size} query_chunk={args.query_chunk}")
    print(f"search time: {t:.3f} s (best of {args.repeats})")
    print(f"throughput: {qmn / t:.3e} Q*M*n per second = {2 * qmn / t / 1e9:,.1f} GFLOP/s in the products")
    print(f"measured fp32 matmul rate: {rate / 1e9:,.1f} GFLOP/s -> search reaches {100 * 2 * qmn / t / rate:.0f}%")


if __name__ == "__main__":
    main()
