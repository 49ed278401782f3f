"""One function per rule of workflow/rules/fits.smk, named after the rule: paths and the config
values the rule passes as params in, files out (written atomically by scalinglab.io)."""
from __future__ import annotations

import json

import pandas as pd

from ..io import write_csv, write_json, write_text
from ..style import save
from . import figures
from .analysis import chinchilla_runs, kaplan_runs, public_refit
from .public_points import download_points, read_points
from ..verdicts.claims import corpus_alpha
from .runs import (chinchilla_points, irreducible_loss, kaplan_points, read_learning_curves,
                   read_summaries, subset_sizes, trainer_floor)
from .runs_table import chinchilla_frames, export_runs_table, kaplan_frames, normalise, read_runs_table
from .tables import FLOAT_FORMAT


def _tables_text(tables) -> str:
    return "\n\n".join(t.to_string(index=False) for t in tables) + "\n"


def fits_fetch_chinchilla_points(*, points: str, url: str) -> None:
    download_points(points, url)


def fits_chinchilla_public(*, points: str, table: str, bootstrap: str, fit: str, drop_highest_loss: int,
                           huber_delta: float, bootstrap_samples: int, interval_level: float, seed: int,
                           log: str) -> None:
    """Approach 3 with bootstrap on the public Chinchilla points."""
    pts = read_points(points, drop_highest=drop_highest_loss)
    fitted_table, samples, fitted = public_refit(pts.N, pts.D, pts.loss, delta=huber_delta,
                                                 n_boot=bootstrap_samples, level=interval_level, seed=seed)
    fitted["n_dropped"] = pts.n_dropped
    write_csv(samples, bootstrap, FLOAT_FORMAT)
    write_json(fitted, fit)
    write_csv(fitted_table, table, FLOAT_FORMAT)
    print(_tables_text([fitted_table]))


def _sidecar_entropy(val) -> float | None:
    """The corpus entropy rate from val.json; None with a runs table (no sidecar: val is [])."""
    return irreducible_loss(val) if val else None


def _table(runs_table: list, loss_units: str) -> pd.DataFrame:
    return normalise(read_runs_table(runs_table[0]), loss_units)


def fits_chinchilla_runs(*, summaries: list, metrics: list, runs_table: list, val, approach3: str,
                         allocation: str, irreducible: str, isoflop: str, fit: str, n_column: str,
                         loss_column: str, huber_delta: float, bootstrap_samples: int, interval_level: float,
                         seed: int, approach1_grid: int, irreducible_tolerance: float,
                         max_relative_width: float, loss_units: str = "nats",
                         approach3_min_steps: int = 0) -> None:
    """Approaches 1-3 on the pipeline's IsoFLOP (and Kaplan) runs, or on a runs table; fitted E
    judged against the floor the trainer can reach (`trainer_floor`, the pipeline's runs only).
    Approach 3 leaves out runs with fewer than `approach3_min_steps` optimizer steps."""
    if runs_table:
        final, curves, record = chinchilla_frames(_table(runs_table, loss_units))
        floor = None
    else:
        runs = read_summaries(summaries)
        # Approach 3 takes every run trained on the full data (single epoch: D is tokens trained)
        # but the step-limited ones (approach3_min_steps).
        runs = runs[runs["fraction"] == runs["fraction"].max()]
        final = chinchilla_points(runs, n_column, "final_" + loss_column)
        curves, _ = read_learning_curves(list(runs["path"]), n_column, loss_column)
        record = [dict(analysis=a, ran=True, reason="the pipeline's runs")
                  for a in ("Approach 3", "Approach 1", "Approach 2")]
        floor = trainer_floor(val, list(runs["path"])) if val else None
    tables, data = chinchilla_runs(
        final, curves, entropy=_sidecar_entropy(val), delta=huber_delta, n_boot=bootstrap_samples,
        level=interval_level, seed=seed, n_grid=approach1_grid, tolerance=irreducible_tolerance,
        floor=floor, max_relative_width=max_relative_width, approach3_min_steps=approach3_min_steps)
    data["analyses"] = record
    for r in record:
        print(f"{r['analysis']}: {'ran' if r['ran'] else 'skipped'} ({r['reason']})")
    irreducible_table = tables.get("irreducible", pd.DataFrame(
        [dict(fit="own runs, Approach 3", note="real text: the irreducible loss is unknown")]))
    write_json(data, fit)
    write_csv(tables["allocation"], allocation, FLOAT_FORMAT)
    write_csv(irreducible_table, irreducible, FLOAT_FORMAT)
    write_csv(tables["approach3"], approach3, FLOAT_FORMAT)
    write_csv(tables["isoflop"], isoflop, FLOAT_FORMAT)
    print(_tables_text(tables.values()))


def fits_kaplan_runs(*, summaries: list, metrics: list, runs_table: list, subsets: list, val, table: str,
                     irreducible: str, fit: str, n_column: str, loss_column: str, bootstrap_samples: int,
                     interval_level: float, seed: int, irreducible_tolerance: float,
                     approach1_grid: int, max_relative_width: float, loss_units: str = "nats") -> None:
    """Kaplan's L(N), L(D), L(C_min), L(N, D) and L(N, S) on the pipeline's runs or a runs table;
    the corpus's alpha (synthetic) goes into the fit JSON for the figure's quantization-model
    reference."""
    if runs_table:
        final, rows, record = kaplan_frames(_table(runs_table, loss_units))
        floor = None
    else:
        final = kaplan_points(read_summaries(summaries), subset_sizes(subsets), n_column)
        _, rows = read_learning_curves(summaries, n_column, loss_column)
        rows = rows.rename(columns={loss_column: "loss"})
        record = [dict(analysis=a, ran=True, reason="the pipeline's runs")
                  for a in ("Kaplan forms", "Kaplan L(C_min), L(N, S)")]
        floor = trainer_floor(val, summaries) if val else None
    tables, data = kaplan_runs(final, rows, entropy=_sidecar_entropy(val), n_boot=bootstrap_samples,
                               level=interval_level, seed=seed, tolerance=irreducible_tolerance,
                               n_grid=approach1_grid, floor=floor, max_relative_width=max_relative_width)
    data["analyses"] = record
    for r in record:
        print(f"{r['analysis']}: {'ran' if r['ran'] else 'skipped'} ({r['reason']})")
    irreducible_table = tables.get("irreducible", pd.DataFrame(
        [dict(fit="own runs, Kaplan L(N) with E", note="no irreducible loss known or fitted")]))
    data["corpus_alpha"] = corpus_alpha(val) if val else None
    write_json(data, fit)
    write_csv(irreducible_table, irreducible, FLOAT_FORMAT)
    write_csv(tables["kaplan"], table, FLOAT_FORMAT)
    print(_tables_text(tables.values()))


def fits_export_runs_table(*, summaries: list, metrics: list, subsets: list, table: str, n_column: str,
                           loss_column: str) -> None:
    """The pipeline's runs as a runs table (README 'Bring your own runs'): an example of the format,
    and what feeding it back (fits.runs.source: table) must fit the same way."""
    runs = read_summaries(summaries)
    _, rows = read_learning_curves(summaries, n_column, loss_column)
    out = export_runs_table(runs, rows, n_column, subset_sizes(subsets) if subsets else None, loss_column)
    write_csv(out, table)


def _read_fit(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _kaplan_curves(summaries, n_column, loss_column) -> pd.DataFrame:
    _, curves = read_learning_curves(summaries, n_column, loss_column)
    return curves.rename(columns={loss_column: "loss"})


def fits_kaplan_fig1_power_laws(*, fit: str, metrics: list, summaries: list, figure: str, n_column: str,
                                loss_column: str) -> None:
    save(figures.kaplan_fig1_power_laws(_read_fit(fit), _kaplan_curves(summaries, n_column, loss_column)),
         figure)


def fits_kaplan_fig4_loss_n_d(*, fit: str, metrics: list, summaries: list, figure: str) -> None:
    save(figures.kaplan_fig4_loss_n_d(_read_fit(fit)), figure)


def fits_kaplan_fig2_learning_curves(*, fit: str, metrics: list, summaries: list, figure: str, n_column: str,
                                     loss_column: str) -> None:
    save(figures.kaplan_fig2_learning_curves(_read_fit(fit),
                                                    _kaplan_curves(summaries, n_column, loss_column)), figure)


def fits_chinchilla_fig3_isoflop(*, fit: str, metrics: list, summaries: list, figure: str, n_column: str,
                                 loss_column: str) -> None:
    _, curves = read_learning_curves(summaries, n_column, loss_column)
    curves = curves[curves["fraction"] == curves["fraction"].max()]
    save(figures.chinchilla_fig3_isoflop(_read_fit(fit), curves.rename(columns={loss_column: "loss"})),
         figure)


def fits_chinchilla_fig4_contours(*, fit: str, figure: str) -> None:
    save(figures.chinchilla_fig4_contours(_read_fit(fit)), figure)


def fits_chinchilla_public_refit(*, points: str, fit: str, bootstrap: str, figure: str, drop_highest_loss: int,
                                 interval_level: float) -> None:
    pts = read_points(points, drop_highest=drop_highest_loss)
    save(figures.chinchilla_public_refit(pts.N, pts.D, pts.loss, _read_fit(fit), pd.read_csv(bootstrap),
                                              level=interval_level), figure)


def fits_data_constrained_runs(*, summaries: list, runs_table: list, fit: str, table: str, points: str,
                               n_column: str, loss_column: str, huber_delta: float, bootstrap_samples: int,
                               interval_level: float, seed: int, loss_units: str = "nats") -> None:
    """Muennighoff et al. 2023's R_D* (and R_N* where identified) on the pipeline's runs that repeat
    data (fits.data_constrained_experiments) or on a runs table with unique tokens, beside the
    published 15.4 and 5.3."""
    from dataclasses import asdict

    from .data_constrained import (MUENNIGHOFF_2023, RULE, data_constrained_loss, effective_data,
                                   fit_half_life_on_runs, summary_points)
    from .runs_table import repetition_points

    if runs_table:
        pts = repetition_points(_table(runs_table, loss_units))
        source = f"runs table {runs_table[0]}"
    else:
        pts = summary_points(read_summaries(summaries, extra=("train_tokens_available",)), n_column,
                             loss_column)
        source = "the pipeline's runs"
    law, result = fit_half_life_on_runs(pts, delta=huber_delta, n_boot=bootstrap_samples,
                                        level=interval_level, seed=seed)
    pts = pts.assign(D_effective=effective_data(pts["U"], pts["D"], result.R_D_star),
                     predicted=data_constrained_loss(pts["N"], pts["D"], pts["U"], law, result.R_D_star,
                                                     result.R_N_star))
    pub = MUENNIGHOFF_2023
    write_json(dict(R_D_star=result.R_D_star, lo=result.lo, hi=result.hi, level=result.level,
                    n_points=result.n_points, n_repeated=result.n_repeated, R_N_star=result.R_N_star,
                    R_N_lo=result.R_N_lo, R_N_hi=result.R_N_hi, R_N_identified=result.R_N_star is not None,
                    R_N_reason=result.R_N_reason, published_R_D_star=pub["R_D_star"],
                    published_R_N_star=pub["R_N_star"], law=asdict(law), source=source, rule=RULE,
                    n_bootstrap=int(result.samples.size)), fit)
    rows = [dict(fit="own runs, data-constrained", parameter="R_D_star", fitted=result.R_D_star,
                 lo=result.lo, hi=result.hi, level=result.level, note=f"{result.n_repeated} runs repeat",
                 **{"Muennighoff et al. 2023": pub["R_D_star"]}),
            dict(fit="own runs, data-constrained", parameter="R_N_star",
                 fitted=result.R_N_star if result.R_N_star is not None else float("nan"),
                 lo=result.R_N_lo, hi=result.R_N_hi, level=result.level, note=result.R_N_reason,
                 **{"Muennighoff et al. 2023": pub["R_N_star"]})]
    rows += [dict(fit="single-epoch runs, Approach 3", parameter=k, fitted=getattr(law, k), lo=float("nan"),
                  hi=float("nan"), level=float("nan"), note="the law R_D* is fitted under",
                  **{"Muennighoff et al. 2023": float("nan")}) for k in ("E", "A", "B", "alpha", "beta")]
    out = pd.DataFrame(rows)
    write_csv(out, table, FLOAT_FORMAT)
    write_csv(pts, points, FLOAT_FORMAT)
    print(_tables_text([out, pts]))


def fits_data_constrained_figure(*, fit: str, points: str, figure: str) -> None:
    save(figures.muennighoff_data_constrained(_read_fit(fit), pd.read_csv(points)), figure)


def fits_runs_table_analyses(*, runs_table: list, table: str, loss_units: str = "nats") -> None:
    """Which analyses a runs table identifies, and why the others are skipped (the reading page
    shows it)."""
    from .runs_table import analyses

    found = pd.DataFrame(analyses(_table(runs_table, loss_units)))
    found.insert(1, "status", ["ran" if r else "skipped" for r in found["ran"]])
    write_csv(found.drop(columns="ran"), table)
    print(_tables_text([found]))
