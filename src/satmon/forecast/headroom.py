"""How much better than the linear trend can a 20-point forecaster be on simulated data?

A reference, not a model: for each metric, the least-squares linear map from a window to
its next 10 points, fitted on that metric's training windows (``TRAIN_SIMS``, same
cadence as the held-out data) and scored on the held-out windows. It knows which metric
a window comes from, which the served models never do, and among linear predictors it is
the best there is for that metric's dynamics and noise. When it barely beats the
linear trend on a metric, no channel-agnostic forecaster will beat the trend clearly
there either.

The map is shift-equivariant (each output row sums to one: the forecast moves with the
window's level), fitted as ``y - x[-1] = (x[:-1] - x[-1]) @ V``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from satmon.forecast.baselines import linear_trend, persistence
from satmon.forecast.datasets import HELDOUT_SIM, TRAIN_SIMS, WindowSet, simulated_windows


def fit_shift_equivariant(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares ``V`` ``[L-1, H]`` with ``y - x[:, -1:] ≈ (x[:, :-1] - x[:, -1:]) @ V``."""
    last = x[:, -1:]
    solution, *_ = np.linalg.lstsq(x[:, :-1] - last, y - last, rcond=None)
    return np.asarray(solution)


def apply_shift_equivariant(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    last = x[:, -1:]
    return last + (x[:, :-1] - last) @ v


def per_metric_linear_reference(train: WindowSet, heldout: WindowSet) -> dict[str, Any]:
    """Per metric: MAE of the fitted map, of both baselines, and the map's ratios."""
    out: dict[str, Any] = {}
    for metric in sorted(set(heldout.group.tolist())):
        fit_rows = train.group == metric
        rows = heldout.group == metric
        if not fit_rows.any() or not rows.any():
            continue
        x = heldout.x[rows].astype(np.float64)
        y = heldout.y[rows].astype(np.float64)
        v = fit_shift_equivariant(
            train.x[fit_rows].astype(np.float64), train.y[fit_rows].astype(np.float64)
        )
        mae = float(np.mean(np.abs(apply_shift_equivariant(v, x) - y)))
        mae_trend = float(np.mean(np.abs(linear_trend(x) - y)))
        mae_persistence = float(np.mean(np.abs(persistence(x) - y)))
        out[metric] = {
            "windows": int(rows.sum()),
            "mae_linear_per_metric": mae,
            "mae_linear_trend": mae_trend,
            "mae_persistence": mae_persistence,
            "ratio_vs_linear_trend": mae / mae_trend if mae_trend else None,
            "ratio_vs_persistence": mae / mae_persistence if mae_persistence else None,
        }
    return out


def simulated_headroom() -> dict[str, Any]:
    """The reference on the project's splits: the training simulation whose cadence is
    the held-out one's, scored on ``HELDOUT_SIM``."""
    same_cadence = [spec for spec in TRAIN_SIMS if spec.step_s == HELDOUT_SIM.step_s]
    return per_metric_linear_reference(
        simulated_windows(same_cadence), simulated_windows(HELDOUT_SIM)
    )
