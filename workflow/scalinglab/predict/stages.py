"""One function per rule of workflow/rules/predict.smk, named after the rule: paths and the config
values the rule passes as params in, files out (atomic, scalinglab.io)."""
from __future__ import annotations

import json
import logging
from dataclasses import asdict

import numpy as np

from ..fits.tables import FLOAT_FORMAT
from ..io import write_csv, write_json
from ..style import save

log = logging.getLogger("scalinglab.predict")


def _check_and_write(N, D, L, held, ids, refs, *, dataset, predictions, summary, fitted, n_starts,
                     bootstrap_extra_starts, n_boot, level, seed, held_out):
    from ..fits.checks import FitInputError
    from .budget import PlanError
    from .extrapolate import chinchilla_form, check_extrapolation, kaplan_form, summarise

    log.info("%s: %d points, %d held out (%s)", dataset, N.size, int(held.sum()), held_out)
    forms = [chinchilla_form(n_starts, seed, bootstrap_extra_starts), kaplan_form()]
    try:
        pred, laws = check_extrapolation(N, D, L, held, forms, references=refs, n_boot=n_boot, level=level,
                                         seed=seed, dataset=dataset, ids=ids)
    except (PlanError, FitInputError) as err:
        raise ValueError(f"({dataset}) {err}") from None
    table = summarise(pred)
    log.info("\n%s", table.to_string())
    write_csv(pred, predictions, FLOAT_FORMAT)
    write_csv(table, summary, FLOAT_FORMAT)
    write_json({name: asdict(law) for name, law in laws.items()}, fitted)


def predict_extrapolation_runs(*, summaries: list, predictions: str, summary: str, fitted: str, n_column: str,
                               loss: str, holdout_by: str, holdout_largest: int, n_starts: int,
                               bootstrap_extra_starts: int, n_boot: int, level: float, seed: int,
                               runs_table: list = (), loss_units: str = "nats") -> None:
    """Fit on the pipeline's smaller runs (or a runs table's), predict the held-out largest ones."""
    from ..fits.runs import read_summaries
    from .extrapolate import holdout_mask

    if runs_table:
        import pandas as pd

        from ..fits.runs_table import chinchilla_frames, normalise, read_runs_table

        # The table's single-epoch runs, final losses (the rows Approach 3 fits).
        final, _, _ = chinchilla_frames(normalise(read_runs_table(runs_table[0]), loss_units))
        runs = pd.DataFrame(dict(run=final["run"], N=final["N"], tokens=final["D"], budget=final["C"],
                                 L=final["L"]))
        n_column, loss = "N", "L"
    else:
        runs = read_summaries(summaries)
    N = runs[n_column].to_numpy(float)
    D = runs["tokens"].to_numpy(float)
    budgets = runs["budget"].to_numpy(float)
    held = holdout_mask(N, D, by=holdout_by, n_largest=holdout_largest,
                        compute=budgets if np.isfinite(budgets).all() else None)
    _check_and_write(N, D, runs[loss].to_numpy(float), held, runs["run"].to_numpy(), {}, dataset="runs",
                     predictions=predictions, summary=summary, fitted=fitted, n_starts=n_starts,
                     bootstrap_extra_starts=bootstrap_extra_starts, n_boot=n_boot, level=level, seed=seed,
                     held_out=f"{holdout_largest} largest by {holdout_by}")


def predict_extrapolation_public(*, points: str, predictions: str, summary: str, fitted: str,
                                 public_holdout_flops: float, n_starts: int, bootstrap_extra_starts: int,
                                 n_boot: int, level: float, seed: int) -> None:
    """Fit on the public Chinchilla points below a compute threshold, predict those above it."""
    from ..fits.public_points import read_points
    from ..fits.published import BESIROGLU_2024, HOFFMANN_2022
    from .extrapolate import holdout_mask

    p = read_points(points)
    held = holdout_mask(p.N, p.D, threshold=public_holdout_flops)
    # Published constants predict too: Hoffmann's (fit on all of Chinchilla's runs) and the
    # replication's refit (fit on all 240 points, so in-sample for the held-out ones).
    refs = {"Hoffmann 2022 published": HOFFMANN_2022, "Besiroglu 2024 refit (all points)": BESIROGLU_2024}
    _check_and_write(p.N, p.D, p.loss, held, np.arange(p.N.size), refs, dataset="public",
                     predictions=predictions, summary=summary, fitted=fitted, n_starts=n_starts,
                     bootstrap_extra_starts=bootstrap_extra_starts, n_boot=n_boot, level=level, seed=seed,
                     held_out="C >= %g" % public_holdout_flops)


def predict_extrapolation_figure(*, predictions: str, png: str, pdf: str, title: str, level: float) -> None:
    """Held-out errors with each interval's actual coverage against its nominal `level`."""
    import pandas as pd

    from .figures import extrapolation

    save(extrapolation(pd.read_csv(predictions), title=title, level=level), png)


def predict_plan(*, fitted: list, plan: str, gpus: float, gpu_type: str, days: float, mfu: float, dtype: str,
                 inference_tokens: float, max_extrapolation: float) -> None:
    """The config's hardware budget under every law -> plan.json; the pipeline's own fitted laws
    only within `max_extrapolation` x the largest compute they were fitted on."""
    from .budget import PlanError
    from .report import make_plan

    try:
        result = make_plan(gpus, gpu_type, days, mfu, dtype, inference_tokens, fitted_tables=list(fitted),
                           skip_unusable=True, max_extrapolation=max_extrapolation)
    except PlanError as err:
        raise ValueError(str(err)) from None
    for s in result["skipped"]:
        log.warning("skipped %s", s["reason"])
    for row in result["plans"]:
        log.info("%-28s N=%.3g D=%.3g D/N=%.1f L=%s", row["law"], row["params"], row["tokens"],
                 row["tokens_per_param"], row["loss"])
    write_json(result, plan)


def predict_plan_figure(*, plan: str, png: str, pdf: str, contour_law: str) -> None:
    """The plan on the loss contours of `contour_law`."""
    from . import figures
    from .fitted import load_fitted_law
    from .laws import published_laws

    with open(plan, encoding="utf-8") as fh:
        result = json.load(fh)
    laws = published_laws() + [load_fitted_law(t) for t in result["fitted_tables"]]
    by_name = {law.name: law for law in laws}
    contour = by_name.get(contour_law)
    if contour is None or not contour.has_loss:
        raise ValueError(f"predict.plan.contour_law must name a law with a loss, one of "
                         f"{', '.join(n for n, law in by_name.items() if law.has_loss)}")
    save(figures.plan_contours(result, contour, laws), png)
