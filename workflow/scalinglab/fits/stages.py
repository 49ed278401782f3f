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
from .runs import (chinchilla_points, irreducible_loss, kaplan_points, read_learning_curves,
                   read_summaries, subset_sizes)
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


def fits_chinchilla_runs(*, summaries: list, metrics: list, val: str, approach3: str, allocation: str,
                         irreducible: str, isoflop: str, fit: str, n_column: str, loss_column: str,
                         huber_delta: float, bootstrap_samples: int, interval_level: float, seed: int,
                         approach1_grid: int, irreducible_tolerance: float) -> None:
    """Approaches 1-3 on the pipeline's IsoFLOP (and Kaplan) runs."""
    runs = read_summaries(summaries)
    # Approach 3 takes every run trained on the full data (single epoch: D is tokens trained).
    runs = runs[runs["fraction"] == runs["fraction"].max()]
    final = chinchilla_points(runs, n_column, "final_" + loss_column)
    curves, _ = read_learning_curves(list(runs["path"]), n_column, loss_column)
    tables, data = chinchilla_runs(
        final, curves, entropy=irreducible_loss(val), delta=huber_delta, n_boot=bootstrap_samples,
        level=interval_level, seed=seed, n_grid=approach1_grid, tolerance=irreducible_tolerance)
    irreducible_table = tables.get("irreducible", pd.DataFrame(
        [dict(fit="own runs, Approach 3", note="real text: the irreducible loss is unknown")]))
    write_json(data, fit)
    write_csv(tables["allocation"], allocation, FLOAT_FORMAT)
    write_csv(irreducible_table, irreducible, FLOAT_FORMAT)
    write_csv(tables["approach3"], approach3, FLOAT_FORMAT)
    write_csv(tables["isoflop"], isoflop, FLOAT_FORMAT)
    print(_tables_text(tables.values()))


def fits_kaplan_runs(*, summaries: list, metrics: list, subsets: list, val: str, table: str,
                     irreducible: str, fit: str, n_column: str, loss_column: str, bootstrap_samples: int,
                     interval_level: float, seed: int, irreducible_tolerance: float,
                     approach1_grid: int) -> None:
    """Kaplan's L(N), L(D), L(C_min), L(N, D) and L(N, S) on the pipeline's runs."""
    final = kaplan_points(read_summaries(summaries), subset_sizes(subsets), n_column)
    _, rows = read_learning_curves(summaries, n_column, loss_column)
    rows = rows.rename(columns={loss_column: "loss"})
    tables, data = kaplan_runs(final, rows, entropy=irreducible_loss(val), n_boot=bootstrap_samples,
                               level=interval_level, seed=seed, tolerance=irreducible_tolerance,
                               n_grid=approach1_grid)
    irreducible_table = tables.get("irreducible", pd.DataFrame(
        [dict(fit="own runs, Kaplan L(N) with E", note="no irreducible loss known or fitted")]))
    write_json(data, fit)
    write_csv(irreducible_table, irreducible, FLOAT_FORMAT)
    write_csv(tables["kaplan"], table, FLOAT_FORMAT)
    print(_tables_text(tables.values()))


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
