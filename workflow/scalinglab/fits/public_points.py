"""The public Chinchilla points: 245 (model size, FLOP, loss) points that Besiroglu et al. 2024
read off Figure 4 of Hoffmann et al. 2022 (github.com/epoch-research/analyzing-chinchilla)."""
from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import FitInputError
from .chinchilla import FLOPS_PER_PARAM_TOKEN

BESIROGLU_URL = ("https://raw.githubusercontent.com/epoch-research/analyzing-chinchilla/main/"
                 "data/svg_extracted_data.csv")
COLUMNS = ("Model Size", "Training FLOP", "loss")
N_DROPPED = 5  # Besiroglu et al. 2024 drop the 5 highest-loss points (240 remain)
# The copy shipped with the package (source and reading: data/README.md); the default everywhere.
SHIPPED_POINTS = Path(__file__).resolve().parent / "data" / "chinchilla_fig4_points.csv"


@dataclass(frozen=True)
class PublicPoints:
    N: np.ndarray      # parameters
    C: np.ndarray      # training FLOPs
    D: np.ndarray      # tokens, C / (6 N)
    loss: np.ndarray   # nats per token
    n_dropped: int


def download_points(dest: str | os.PathLike, url: str = BESIROGLU_URL, timeout: float = 30.0):
    """Fetch the CSV to `dest` atomically; offline, one line that names the local-file option."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            tmp.write_bytes(resp.read())
    except (urllib.error.URLError, OSError) as err:
        tmp.unlink(missing_ok=True)
        raise FitInputError(f"could not download the public Chinchilla points from {url} "
                            f"({getattr(err, 'reason', err)}); offline, set "
                            f"`fits.chinchilla_points` empty for the copy shipped in the package") from None
    read_points(tmp, drop_highest=0)  # refuse to publish a file that is not the expected CSV
    os.replace(tmp, dest)


def read_points(path: str | os.PathLike, drop_highest: int = N_DROPPED) -> PublicPoints:
    path = Path(path)
    if not path.is_file():
        raise FitInputError(f"public Chinchilla points file {path} does not exist; set "
                            f"`fits.chinchilla_points` to the CSV, or leave it empty for the shipped copy")
    try:
        df = pd.read_csv(path)
    except Exception as err:  # noqa: BLE001 - any parse failure gets the same one-line message
        raise FitInputError(f"{path}: not a readable CSV ({err})") from None
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise FitInputError(f"{path}: missing column(s) {missing}; expected Besiroglu et al.'s "
                            f"svg_extracted_data.csv with columns {list(COLUMNS)}")
    values = df[list(COLUMNS)].to_numpy(dtype=float)
    bad = ~np.isfinite(values).all(axis=1) | (values <= 0).any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2  # +1 header, +1 one-based
        raise FitInputError(f"{path}: {int(bad.sum())} row(s) with a missing, non-finite or "
                            f"non-positive size/FLOP/loss (first at line {row})")
    if drop_highest >= len(values) - 5:
        raise FitInputError(f"{path}: {len(values)} points, too few after dropping "
                            f"{drop_highest}")
    order = np.argsort(values[:, 2], kind="stable")
    keep = np.sort(order[:len(values) - drop_highest])
    N, C, L = values[keep].T
    return PublicPoints(N=N, C=C, D=C / (FLOPS_PER_PARAM_TOKEN * N), loss=L,
                        n_dropped=int(drop_highest))
