"""Windows of 20 points in, 10 out: from the simulator and from files (NASA SMAP/MSL:
``nasa.py``).

Everything here is numpy; a window set is ``(X [N, 20], Y [N, 10])`` float64 plus a
group label per window (metric, channel) for per-group figures.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from satmon.contract.forecast import HORIZON, WINDOW

log = logging.getLogger(__name__)

SIM_METRICS = (
    "temperature",
    "altitude",
    "velocity",
    "battery",
    "solar_power",
    "latitude",
    "longitude",
)
SIM_START = datetime(2026, 1, 1, tzinfo=UTC)
MIN_UNIT_SHARE = 0.1
"""The smallest error unit of a series, as a share of its persistence MAE."""


@dataclass
class WindowSet:
    """Forecast windows: inputs ``x`` ``[N, L]``, targets ``y`` ``[N, H]``, ``group`` ``[N]``."""

    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    flags: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.x)

    def subset(self, mask: np.ndarray) -> WindowSet:
        return WindowSet(
            self.x[mask],
            self.y[mask],
            self.group[mask],
            {k: v[mask] for k, v in self.flags.items()},
        )

    @staticmethod
    def concat(parts: Sequence[WindowSet]) -> WindowSet:
        parts = [p for p in parts if len(p)]
        if not parts:
            return WindowSet(np.zeros((0, WINDOW)), np.zeros((0, HORIZON)), np.zeros(0, dtype=str))
        keys = set.intersection(*(set(p.flags) for p in parts))
        return WindowSet(
            np.concatenate([p.x for p in parts]),
            np.concatenate([p.y for p in parts]),
            np.concatenate([p.group for p in parts]),
            {k: np.concatenate([p.flags[k] for p in parts]) for k in keys},
        )


def windows_from_series(
    series: np.ndarray, window: int = WINDOW, horizon: int = HORIZON, stride: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Sliding windows over a 1-D series → ``(x [N, window], y [N, horizon])``.

    Window ``i`` covers ``series[i*stride : i*stride + window + horizon]``.
    """
    s = np.asarray(series, dtype=np.float64).ravel()
    total = window + horizon
    if len(s) < total:
        return np.zeros((0, window)), np.zeros((0, horizon))
    view = np.lib.stride_tricks.sliding_window_view(s, total)[::stride]
    return view[:, :window].copy(), view[:, window:].copy()


# --- simulated telemetry -------------------------------------------------------------
@dataclass(frozen=True)
class SimSpec:
    """Which simulated satellites, how long, how often: one split of the simulated data."""

    satellites: tuple[int, ...]
    seed: int
    n_steps: int = 3600
    step_s: float = 1.0
    stride: int = 1
    metrics: tuple[str, ...] = SIM_METRICS


# Mostly 1 Hz (what the forecaster reads from VictoriaMetrics), plus coarser steps so the
# models also hold up on downsampled series.
TRAIN_SIMS = (
    SimSpec(satellites=tuple(range(0, 24)), seed=1, n_steps=3600, stride=3),
    SimSpec(satellites=tuple(range(24, 32)), seed=1, n_steps=3000, step_s=10.0, stride=3),
    SimSpec(satellites=tuple(range(32, 40)), seed=1, n_steps=3000, step_s=60.0, stride=3),
)
VAL_SIMS = (SimSpec(satellites=tuple(range(100, 106)), seed=2, n_steps=3600, stride=3),)
HELDOUT_SIM = SimSpec(satellites=tuple(range(200, 208)), seed=3, n_steps=3600, stride=5)
"""Evaluation split (1 Hz): satellites and seeds never seen in training or early stopping."""


def simulated_series(
    satellite: int, n_steps: int, step_s: float, seed: int
) -> dict[str, np.ndarray]:
    """One satellite's metrics as the live system stores them: rounded to the simulator's
    published decimals; longitude unwrapped (continuous degrees, see ``unwrap_angle``)."""
    from satmon.simulator import simulate_arrays
    from satmon.simulator.generator import DECIMALS

    start = SIM_START + timedelta(hours=7 * satellite)
    arrays = simulate_arrays(satellite, n_steps, step_s, start, seed + 1000 * satellite)
    out = {name: np.round(values, DECIMALS.get(name, 6)) for name, values in arrays.items()}
    out["longitude"] = unwrap_angle(out["longitude"])
    return out


def simulated_windows(spec: SimSpec | Sequence[SimSpec]) -> WindowSet:
    """Windows from every satellite × metric of ``spec`` (group = metric name), with
    the per-series ``series_flags``."""
    if not isinstance(spec, SimSpec):
        return WindowSet.concat([simulated_windows(s) for s in spec])
    parts = []
    for sat in spec.satellites:
        arrays = simulated_series(sat, spec.n_steps, spec.step_s, spec.seed)
        for metric in spec.metrics:
            x, y = windows_from_series(arrays[metric], stride=spec.stride)
            parts.append(WindowSet(x, y, np.full(len(x), metric), series_flags(x, y)))
    return WindowSet.concat(parts)


def series_flags(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Per-window facts about the windows' series, for training. ``weight`` is 1 / the MAE
    of the series' better baseline (persistence or the line; at most 10× 1 / the
    persistence MAE, so that a series the line forecasts almost exactly does not drown the
    others; 0 for a series that never moves): the loss then counts errors in the units of
    the ratios the goals set, the same for every series whatever its units.
    ``line_better`` says whether the line is that better baseline."""
    from satmon.forecast.baselines import linear_trend

    n = len(x)
    mae = float(np.mean(np.abs(y - x[:, -1:]))) if n else 0.0
    line = float(np.mean(np.abs(y - linear_trend(x)))) if n else 0.0
    unit = max(min(mae, line), MIN_UNIT_SHARE * mae)
    return {
        "weight": np.full(n, 1.0 / unit if unit > 0 else 0.0),
        "line_better": np.full(n, line < mae),
    }


def unwrap_angle(values: np.ndarray, period: float = 360.0) -> np.ndarray:
    """Remove the jumps of a wrapped angle (longitude in [-180, 180)) along the last axis."""
    return np.unwrap(np.asarray(values, dtype=np.float64), period=period, axis=-1)


def wrap_angle(values: np.ndarray, period: float = 360.0) -> np.ndarray:
    """Wrap into ``[-period/2, period/2)``."""
    half = period / 2.0
    return np.mod(np.asarray(values, dtype=np.float64) + half, period) - half


# --- files -----------------------------------------------------------------------------
def file_windows(path: Path, stride: int = 1) -> WindowSet:
    """Windows from a ``.npy`` (column 0 of 2-D), a ``.csv`` (every numeric column), or a
    folder of them (``train/`` inside it is preferred when present)."""
    if path.is_dir():
        folder = path / "train" if (path / "train").is_dir() else path
        files = sorted([*folder.glob("*.npy"), *folder.glob("*.csv")])
        if not files:
            raise FileNotFoundError(f"no .npy or .csv files in {folder}")
        return WindowSet.concat([file_windows(f, stride) for f in files])
    columns = _read_columns(path)
    parts = []
    for name, series in columns.items():
        x, y = windows_from_series(series, stride=stride)
        parts.append(WindowSet(x, y, np.full(len(x), name)))
    return WindowSet.concat(parts)


def _read_columns(path: Path) -> dict[str, np.ndarray]:
    if path.suffix == ".npy":
        arr = np.load(path)
        return {path.stem: (arr[:, 0] if arr.ndim == 2 else arr.ravel()).astype(np.float64)}
    if path.suffix == ".csv":
        with path.open() as fh:
            rows = list(csv.DictReader(fh))
        out: dict[str, np.ndarray] = {}
        for col in rows[0] if rows else []:
            try:
                out[f"{path.stem}:{col}"] = np.array([float(r[col]) for r in rows])
            except (TypeError, ValueError):
                continue
        return out
    raise ValueError(f"unsupported data file {path} (expected .npy or .csv)")
