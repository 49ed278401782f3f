"""scalinglab-plan: turn a compute budget into a model size and token count, under every law.

    scalinglab-plan budget --gpus 100 --gpu-type A100 --days 30 --mfu 0.4
    scalinglab-plan budget --flops 5.76e23 --inference-tokens 2e13 --json
    scalinglab-plan tokens --params 10e9        # data for a 10B model
    scalinglab-plan params --tokens 1e12        # model for 1T tokens
    scalinglab-plan compare --from 10e9 --to 100e9
    scalinglab-plan budget --flops 5.76e23 --unique-tokens 3e11   # only 300B distinct tokens
    ... --fitted results/fits/<table>           # add the pipeline's own fitted law(s)

Errors (bad budget, unknown GPU, MFU outside (0, 1], missing or foreign fitted table) print one
line to stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

from ..fits.checks import FitInputError
from ..fits.data_constrained import plan_data_constrained
from ..fits.published import HOFFMANN_2022
from .budget import PlanError, known_gpu_types, training_flops
from .fitted import load_fitted_law
from .laws import published_laws
from .planner import loss_change, params_for_tokens, plan_budget, tokens_for_params
from .report import inference_rows

PROG = "scalinglab-plan"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the planner's errors all are)."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def human(x, unit: str = "") -> str:
    """1.23e9 -> '1.23B' (K, M, B, T, P): sizes and token counts at a glance."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    for div, suffix in ((1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}{unit}"
    return f"{x:.3g}{unit}"


def format_table(rows: list[dict], columns: list[tuple[str, str, callable]]) -> str:
    """A plain fixed-width table: columns are (header, key, formatter)."""
    cells = [[h for h, _, _ in columns]]
    for r in rows:
        cells.append([fmt(r.get(k)) for _, k, fmt in columns])
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(row, widths))) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _loss(x):
    return "-" if x is None else f"{x:.3f}"


def _sci(x):
    return "-" if x is None else f"{x:.3g}"


def _delta(x):
    return "-" if x is None else f"{x:+.3f}"


def _ratio(x):
    return "-" if x is None else f"{x:.1f}"


PLAN_COLUMNS = [("law", "law", str), ("FLOPs", "flops", _sci), ("N_opt", "params", human),
                ("D_opt", "tokens", human), ("D/N", "tokens_per_param", _ratio),
                ("loss", "loss", _loss)]
COMPARE_COLUMNS = [("law", "law", str), ("D(N1)", "tokens_from", human),
                   ("D(N2)", "tokens_to", human), ("C2/C1", "compute_ratio", _ratio),
                   ("L(N1)", "loss_from", _loss), ("L(N2)", "loss_to", _loss),
                   ("dL", "loss_change", _delta)]
INFERENCE_COLUMNS = [("law", "law", str), ("target L", "target_loss", _loss),
                     ("N", "params", human), ("D", "tokens", human),
                     ("D/N", "tokens_per_param", _ratio), ("lifetime", "lifetime_flops", _sci),
                     ("N (Chinchilla)", "chinchilla_params", human),
                     ("lifetime (Chinchilla)", "chinchilla_lifetime_flops", _sci)]
DATA_CONSTRAINED_COLUMNS = [("law", "law", str), ("R_D*", "R_D_star", _ratio), ("N", "params", human), ("D", "tokens", human), ("epochs", "epochs", _ratio),
                            ("loss", "loss", _loss), ("N (unlimited)", "unlimited_params", human),
                            ("D (unlimited)", "unlimited_tokens", human),
                            ("loss (unlimited)", "unlimited_loss", _loss), ("penalty", "loss_penalty", _delta)]


def load_data_constrained_fit(path: str):
    """(ChinchillaLaw, R_D*, R_N* or None) from fits_data_constrained_runs' JSON; one line when it
    is not that."""
    from ..fits.published import ChinchillaLaw

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        law = data["law"]
        R_N = data.get("R_N_star")
        return (ChinchillaLaw(**{k: float(law[k]) for k in ("E", "A", "B", "alpha", "beta")}),
                float(data["R_D_star"]), None if R_N is None else float(R_N))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise PlanError(f"{path}: not a data-constrained fit (results/fits/data_constrained_runs_fit.json): "
                        f"{err}") from None


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog=PROG, description=__doc__.split("\n")[0],
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--fitted", action="append", default=[], metavar="PATH",
                        help="a fitted-law table from the pipeline (Chinchilla or Kaplan L(N, D)); "
                             "repeat for several")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sub = p.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    b = sub.add_parser("budget", parents=[common], help="a compute budget -> N_opt, D_opt, loss")
    b.add_argument("--flops", type=float, help="training FLOPs (instead of the hardware budget)")
    b.add_argument("--gpus", type=float, help="number of GPUs")
    b.add_argument("--gpu-type", help=f"one of: {', '.join(known_gpu_types())}")
    b.add_argument("--days", type=float, help="wall-clock days of training")
    b.add_argument("--mfu", type=float, default=0.4, help="model FLOPs utilisation in (0, 1]")
    b.add_argument("--dtype", default="bf16", help="tensor dtype of the peak (default bf16)")
    b.add_argument("--inference-tokens", type=float,
                   help="expected tokens served over the model's life (Sardana et al. 2023)")
    b.add_argument("--target-loss", type=float,
                   help="loss to reach (default: each law's loss at this budget's optimum)")
    b.add_argument("--unique-tokens", type=float, metavar="U",
                   help="distinct tokens available: best size, epochs and loss penalty against "
                        "unlimited data (Muennighoff et al. 2023 with Hoffmann et al. 2022's law)")
    b.add_argument("--data-constrained-fit", metavar="PATH",
                   help="with --unique-tokens: also plan under a fitted R_D* and its law "
                        "(results/fits/data_constrained_runs_fit.json)")

    t = sub.add_parser("tokens", parents=[common], help="compute-optimal tokens for a model size")
    t.add_argument("--params", type=float, required=True)
    n = sub.add_parser("params", parents=[common], help="compute-optimal model size for a dataset")
    n.add_argument("--tokens", type=float, required=True)
    c = sub.add_parser("compare", parents=[common],
                       help="loss change between two model sizes at their optimal data")
    c.add_argument("--from", dest="params_from", type=float, required=True)
    c.add_argument("--to", dest="params_to", type=float, required=True)
    return p


def run(args) -> tuple[dict, str]:
    """(JSON-able result, terminal text) for parsed arguments."""
    laws = published_laws() + [load_fitted_law(path) for path in args.fitted]
    if args.command == "budget":
        hardware = None
        if args.flops is not None:
            if any(v is not None for v in (args.gpus, args.gpu_type, args.days)):
                raise PlanError("give either --flops or --gpus/--gpu-type/--days, not both")
            flops = args.flops
        else:
            missing = [f for f, v in (("--gpus", args.gpus), ("--gpu-type", args.gpu_type),
                                      ("--days", args.days)) if v is None]
            if missing:
                raise PlanError(f"budget needs --flops, or all of --gpus, --gpu-type, --days "
                                f"(missing {', '.join(missing)})")
            hardware = training_flops(args.gpus, args.gpu_type, args.days, args.mfu, args.dtype)
            flops = hardware["flops"]
        rows = plan_budget(flops, laws)
        result = dict(command="budget", hardware=hardware, flops=flops, plans=rows)
        head = (f"{hardware['gpus']:g} x {hardware['gpu_type']} ({hardware['dtype']} peak "
                f"{hardware['peak_flops_per_gpu']:.3g} FLOP/s) x {hardware['days']:g} days x "
                f"MFU {hardware['mfu']:g} = {flops:.3g} FLOPs" if hardware
                else f"budget: {flops:.3g} FLOPs")
        text = head + "\n" + format_table(rows, PLAN_COLUMNS)
        if args.inference_tokens is not None:
            inf_rows = inference_rows(laws, rows, args.inference_tokens, args.target_loss)
            result["inference_aware"] = inf_rows
            text += (f"\n\ninference-aware (Sardana et al. 2023), {args.inference_tokens:.3g} "
                     f"inference tokens, minimising 6ND + 2N D_inf at the target loss:\n"
                     + format_table(inf_rows, INFERENCE_COLUMNS))
        if args.data_constrained_fit and args.unique_tokens is None:
            raise PlanError("--data-constrained-fit needs --unique-tokens U")
        if args.unique_tokens is not None:
            dc = plan_data_constrained(flops, args.unique_tokens, HOFFMANN_2022)
            dc["law"] = "Hoffmann A3 + Muennighoff 2023"
            dc_rows = [dc]
            if args.data_constrained_fit:
                law, R_D, R_N = load_data_constrained_fit(args.data_constrained_fit)
                # Without a fitted R_N* (not identified by the runs) excess parameters count in full.
                dc_rows.append({**plan_data_constrained(flops, args.unique_tokens, law, R_D, R_N),
                                "law": "fitted" if R_N is not None else "fitted (R_N* not identified)"})
            result["data_constrained"] = dc_rows
            text += (f"\n\ndata-constrained (Muennighoff et al. 2023: R_D* = {dc['R_D_star']:g}, "
                     f"R_N* = {dc['R_N_star']:g}), {human(dc['unique_tokens'])} unique tokens:\n"
                     + format_table(dc_rows, DATA_CONSTRAINED_COLUMNS))
    elif args.command == "tokens":
        rows = tokens_for_params(args.params, laws)
        result = dict(command="tokens", params=args.params, plans=rows)
        text = (f"compute-optimal tokens for N = {human(args.params)} parameters\n"
                + format_table(rows, PLAN_COLUMNS))
    elif args.command == "params":
        rows = params_for_tokens(args.tokens, laws)
        result = dict(command="params", tokens=args.tokens, plans=rows)
        text = (f"compute-optimal model size for D = {human(args.tokens)} tokens\n"
                + format_table(rows, PLAN_COLUMNS))
    else:
        rows = loss_change(args.params_from, args.params_to, laws)
        result = dict(command="compare", plans=rows)
        text = (f"N1 = {human(args.params_from)} -> N2 = {human(args.params_to)} parameters, "
                f"each at its compute-optimal data\n" + format_table(rows, COMPARE_COLUMNS))
    notes = sorted({f"{law.name}: {law.params_convention}; {law.note}".rstrip("; ")
                    for law in laws})
    text += "\n\n" + "\n".join(notes)
    return result, text


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result, text = run(args)
    except (PlanError, FitInputError) as err:
        sys.stderr.write(f"{PROG}: error: {err}\n")
        return 2
    print(json.dumps(result, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
