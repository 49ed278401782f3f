"""Sweep candidate demo grids: train through the package, fit with scalinglab.fits, print what the
demo must show (IsoFLOP bracketing, Approaches 1-3 against theory, Kaplan exponents against the
quantization model, the 0.1% run overfitting) and the CPU seconds of every run.

A candidate is a YAML file laid out like workflow/config/demo.yaml (sections data, models, train,
experiments, fits); it is merged over demo.yaml, so it need only hold what changes. Runs are cached
in --out (a run whose spec is unchanged is not retrained), so refitting is cheap.

    nice -n 10 python benchmarks/sweep_demo.py --candidate cand.yaml --out /tmp/sweep [--jobs 2]
        [--experiments isoflop kaplan data_fraction] [--models demo-1k demo-2k] [--fits chinchilla kaplan]

CPU seconds come from the kernel's rusage of each training process (user + sys), so they hold on
a contended machine; the demo's training wall time on 2 cores is about their sum / 2.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from scalinglab.data.prepare import prepare_data  # noqa: E402
from scalinglab.data.split import fraction_label  # noqa: E402
from scalinglab.fits.analysis import chinchilla_runs, kaplan_runs  # noqa: E402
from scalinglab.fits.runs import (chinchilla_points, irreducible_loss, kaplan_points,  # noqa: E402
                                  read_learning_curves, read_summaries, subset_sizes)
from scalinglab.model import model_shape  # noqa: E402
from scalinglab.train.config import merge_train  # noqa: E402

FITS_DEFAULTS = dict(huber_delta=1e-3, bootstrap_samples=40, interval_level=0.8, approach1_grid=1500,
                     params="params_non_embedding", loss="val_loss", irreducible_tolerance=0.05,
                     approach3_min_steps=0)


def deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def budget_label(budget: float) -> str:
    mantissa, exponent = f"{float(budget):.3e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def experiment_runs(cfg: dict, name: str, models: list[str] | None) -> dict[str, dict]:
    """Run ids and identities exactly as workflow/rules/common.smk names them."""
    exp, runs = cfg["experiments"][name], {}
    named = {float(b["budget"]): b["models"] for b in exp.get("budget_models") or []}
    for model in exp["models"]:
        if models and model not in models:
            continue
        for fraction in exp["fractions"]:
            for seed in exp["seeds"]:
                for budget in exp.get("budgets") or [None]:
                    if budget is not None and model not in named.get(float(budget), exp["models"]):
                        continue
                    parts = [model] + ([f"C{budget_label(budget)}"] if budget is not None else [])
                    parts += [f"f{fraction_label(fraction)}", f"s{seed}"]
                    runs["_".join(parts)] = dict(experiment=name, model=model, fraction=float(fraction),
                                                 seed=int(seed),
                                                 budget=None if budget is None else float(budget))
    return runs


def data_dir(cfg: dict, out: Path) -> Path:
    """Prepared corpus in out/data-<hash of the data section>; generated once."""
    key = hashlib.sha1(json.dumps(cfg["data"], sort_keys=True).encode()).hexdigest()[:10]
    d = out / f"data-{key}"
    if not (d / "val.json").exists():
        data = deep_merge(dict(batch_documents=4096), cfg["data"])
        prepare_data(data, d, seed=cfg.get("seed", 1337), progress=False)
        (d / "data.yaml").write_text(yaml.safe_dump(cfg["data"]))
    return d


def launch(spec: dict, threads: int) -> tuple[subprocess.Popen, float]:
    run_dir = Path(spec["run_dir"])
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "spec.json").write_text(json.dumps(spec, indent=2))
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONPATH=str(REPO / "workflow"))
    log = open(run_dir / "train.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "scalinglab.train", "--spec", str(run_dir / "spec.json")],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    return proc, time.monotonic()


def train_all(specs: list[dict], jobs: int, threads: int) -> None:
    """Train the specs `jobs` at a time; record each run's CPU seconds in cpu.json beside it."""
    todo = []
    for spec in specs:
        done = Path(spec["run_dir"]) / "summary.json"
        old = Path(spec["run_dir"]) / "spec.json"
        if done.exists() and old.exists() and json.loads(old.read_text()) == spec:
            continue
        todo.append(spec)
    # Longest first, so the last job does not run alone.
    todo.sort(key=lambda s: -(s["identity"].get("budget") or 0))
    running: dict[int, tuple[dict, float]] = {}
    while todo or running:
        while todo and len(running) < jobs:
            spec = todo.pop(0)
            proc, t0 = launch(spec, threads)
            running[proc.pid] = (spec, t0)
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        spec, t0 = running.pop(pid)
        cpu = usage.ru_utime + usage.ru_stime
        rc = os.waitstatus_to_exitcode(status)
        run = spec["identity"]["run"]
        Path(spec["run_dir"], "cpu.json").write_text(json.dumps(dict(cpu_s=cpu, wall_s=time.monotonic() - t0, rc=rc)))
        print(f"  trained {spec['identity']['experiment']}/{run}: {cpu:.1f} CPU-s, rc {rc}", flush=True)
        if rc != 0:
            print((Path(spec["run_dir"]) / "train.log").read_text()[-2000:], file=sys.stderr)


def theory(alpha: float) -> dict:
    """Quantization model on the Zipf-facts corpus: alpha_N = alpha, alpha_D = alpha/(alpha+1)."""
    aN, aD = alpha, alpha / (alpha + 1)
    return dict(alpha_N=aN, alpha_D=aD, a=aD / (aN + aD), b=aN / (aN + aD))


def cpu_table(summaries: list[Path]) -> pd.DataFrame:
    rows = []
    for p in summaries:
        s = json.loads(p.read_text())
        c = json.loads((p.parent / "cpu.json").read_text()) if (p.parent / "cpu.json").exists() else {}
        rows.append(dict(run=s["run"], N=s["params_non_embedding"], tokens=s["tokens"], steps=s["steps"],
                         epochs=round(s["epochs"], 2), train=round(s["final_train_loss"], 4),
                         val=round(s["final_val_loss"], 4), best_val=round(s["best_val_loss"], 4),
                         cpu_s=round(c.get("cpu_s", float("nan")), 1),
                         tok_per_cpu_s=round(s["tokens"] / c["cpu_s"]) if c.get("cpu_s") else None))
    return pd.DataFrame(rows)


def report_isoflop(cfg, out, summaries, val, th, fits):
    s = read_summaries([str(p) for p in summaries])
    s = s[s["fraction"] == s["fraction"].max()]
    final = chinchilla_points(s, fits["params"], "final_" + fits["loss"])
    curves, _ = read_learning_curves(list(s["path"]), fits["params"], fits["loss"])
    tables, data = chinchilla_runs(final, curves, entropy=irreducible_loss(val), delta=fits["huber_delta"],
                                   n_boot=fits["bootstrap_samples"], level=fits["interval_level"],
                                   seed=0, n_grid=fits["approach1_grid"],
                                   tolerance=fits["irreducible_tolerance"],
                                   approach3_min_steps=fits["approach3_min_steps"])
    print("\nIsoFLOP profiles (bracketed = best run interior, vertex_inside = parabola vertex in ladder):")
    cols = ["C", "N_min", "N_max", "N_opt", "best_run", "best_loss", "vertex_inside", "bracketed"]
    print(tables["isoflop"][[c for c in cols if c in tables["isoflop"]]].to_string(index=False))
    al = tables["allocation"]
    print(f"\nAllocation exponents (theory a = {th['a']:.3f}, b = {th['b']:.3f}):")
    print(al[[c for c in ("fit", "parameter", "fitted", "lo", "hi") if c in al]].to_string(index=False))
    if "irreducible" in tables:
        print(tables["irreducible"].to_string(index=False))
    print(tables["approach3"].to_string(index=False))
    return tables


def report_kaplan(cfg, out, summaries, val, sidecars, th, fits):
    s = read_summaries([str(p) for p in summaries])
    final = kaplan_points(s, subset_sizes(sidecars), fits["params"])
    _, rows = read_learning_curves([str(p) for p in summaries], fits["params"], fits["loss"])
    rows = rows.rename(columns={fits["loss"]: "loss"})
    tables, data = kaplan_runs(final, rows, entropy=irreducible_loss(val), n_boot=fits["bootstrap_samples"],
                               level=fits["interval_level"], seed=0,
                               tolerance=fits["irreducible_tolerance"], n_grid=fits["approach1_grid"])
    k = tables["kaplan"]
    print(f"\nKaplan fits (theory alpha_N = {th['alpha_N']:.3f}, alpha_D = {th['alpha_D']:.3f}):")
    print(k[[c for c in ("fit", "parameter", "fitted", "lo", "hi") if c in k]].to_string(index=False))
    if "irreducible" in tables:
        print(tables["irreducible"].to_string(index=False))
    return tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidate", help="YAML merged over workflow/config/demo.yaml")
    parser.add_argument("--out", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--experiments", nargs="+", default=["isoflop", "kaplan", "data_fraction"])
    parser.add_argument("--models", nargs="+", help="only these models (a partial sweep)")
    parser.add_argument("--no-fit", action="store_true")
    parser.add_argument("--fits", nargs="+", default=["chinchilla", "kaplan"], choices=["chinchilla", "kaplan"],
                        help="which fits to print (Kaplan's bootstrap is the slow one)")
    args = parser.parse_args()

    cfg = yaml.safe_load((REPO / "workflow/config/demo.yaml").read_text())
    if args.candidate:
        cfg = deep_merge(cfg, yaml.safe_load(Path(args.candidate).read_text()) or {})
    fits = deep_merge(FITS_DEFAULTS, {k: v for k, v in cfg.get("fits", {}).items() if k in FITS_DEFAULTS})
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ddir = data_dir(cfg, out)
    val = ddir / "val.json"
    meta = json.loads(val.read_text())
    th = theory(float(cfg["data"]["synthetic"]["alpha"]))
    print(f"corpus {cfg['data']['synthetic']}: entropy {meta['entropy_per_token_nats']:.4f} nats/token; "
          f"theory {th}")

    per_exp = {}
    for name in args.experiments:
        exp = cfg["experiments"][name]
        settings = merge_train(cfg["train"], exp.get("train"))
        specs = []
        for run, ident in experiment_runs(cfg, name, args.models).items():
            specs.append(dict(run_dir=str(out / "train" / name / run),
                              train_data=str(ddir / "subsets" / f"{fraction_label(ident['fraction'])}.json"),
                              val_data=str(val), identity=dict(ident, run=run),
                              model=model_shape(ident["model"], cfg["models"]), train=settings,
                              threads=args.threads))
        train_all(specs, args.jobs, args.threads)
        per_exp[name] = [Path(s["run_dir"]) / "summary.json" for s in specs]
        table = cpu_table(per_exp[name])
        print(f"\n== {name}: {len(table)} runs, {table['cpu_s'].sum():.0f} CPU-s "
              f"(~{table['cpu_s'].sum() / 2 / 60:.1f} min on 2 cores)")
        print(table.to_string(index=False))

    total = sum(cpu_table(v)["cpu_s"].sum() for v in per_exp.values())
    print(f"\nTRAINING TOTAL {total:.0f} CPU-s = {total / 120:.1f} min on 2 cores")
    if args.no_fit:
        return
    if "isoflop" in per_exp and "chinchilla" in args.fits:
        report_isoflop(cfg, out, per_exp["isoflop"] + per_exp.get("kaplan", []), val, th, fits)
    if "kaplan" in per_exp and "kaplan" in args.fits:
        sidecars = sorted(str(p) for p in (ddir / "subsets").glob("*.json"))
        report_kaplan(cfg, out, per_exp["kaplan"], val, sidecars, th, fits)
    if "data_fraction" in per_exp:
        print("\ndata_fraction: overfitting = val rises from its best while train falls")
        for p in per_exp["data_fraction"]:
            m = pd.read_csv(p.parent / "metrics.csv")
            ib = int(m["val_loss"].idxmin())
            print(f"  {p.parent.name}: best val {m['val_loss'].min():.4f} at step {m['step'][ib]}, final val "
                  f"{m['val_loss'].iloc[-1]:.4f} (rise {m['val_loss'].iloc[-1] - m['val_loss'].min():+.4f}), "
                  f"final train {m['train_loss'].iloc[-1]:.4f} (train fell after best val: "
                  f"{m['train_loss'].iloc[-1] < m['train_loss'][ib]})")


if __name__ == "__main__":
    main()
