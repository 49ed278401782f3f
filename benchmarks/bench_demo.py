"""Wall time of the whole demo DAG on this machine (goal: <= 15 min on 2 CPU cores).

Clones the committed checkout (as CI does) into a temporary folder with ../shared/data beside it,
runs `snakemake --cores N --configfile workflow/config/demo.yaml`, and prints the total time and
the slowest jobs from Snakemake's own `benchmark:` files.

    python benchmarks/bench_demo.py [--cores 2] [--keep]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="scalinglab-bench-demo-"))
    workdir = root / "main"
    subprocess.run(["git", "clone", "-q", "--local", str(REPO), str(workdir)], check=True)
    shared = REPO.parent / "shared"
    if shared.is_dir():
        (root / "shared").symlink_to(shared)
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", str(args.cores),
                           "--configfile", "workflow/config/demo.yaml"], cwd=workdir)
    elapsed = time.monotonic() - start
    print(f"demo DAG: {elapsed:.0f} s = {elapsed / 60:.1f} min on {args.cores} cores "
          f"(goal <= 15 min), exit {proc.returncode}")
    rows = []
    for tsv in (workdir / "results").rglob("benchmarks/**/*.tsv"):
        bench = pd.read_csv(tsv, sep="\t")
        rows.append({"job": str(tsv.relative_to(workdir / "results")), "s": float(bench["s"].iloc[0]),
                     "max_rss_MB": float(bench["max_rss"].iloc[0])})
    if rows:
        table = pd.DataFrame(rows).sort_values("s", ascending=False)
        print(f"jobs with benchmark files: {len(table)}, their sum {table['s'].sum():.0f} s; slowest:")
        print(table.head(15).to_string(index=False))
    if args.keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(root)
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
