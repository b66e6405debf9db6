"""A per-series choice between the model and the two baselines, learned from the series'
own earlier history, as its anomaly threshold is.

On a stretch of a series' history (in the evaluation: a NASA channel's training split,
or an earlier simulated stretch of the same satellite; in the product it would be the
series' recent past, as for the thresholds), the model, persistence and the
least-squares line each forecast every window; the series then keeps the model if its
MAE there was at most ``1 - MARGIN`` times the better baseline's, and gets that
baseline's forecast otherwise. Nothing of the windows it is applied to is read.

Why per series and not per window (``combiner.py``): on the NASA training splits the
model is worse than the better baseline by about 1 % where it is worse, which tens of
backtest windows cannot tell from noise; a whole stretch of the series can. How
``MARGIN`` was chosen: ``triton/README.md``.
"""

from __future__ import annotations

import numpy as np

from satmon.contract.forecast import FORECAST_SOURCES
from satmon.forecast.baselines import linear_trend, persistence

CHOICES = FORECAST_SOURCES
MARGIN = 0.02
"""The model is kept where it was at least this much better than the better baseline."""


def choose(
    model_mae: float, persistence_mae: float, line_mae: float, margin: float = MARGIN
) -> str:
    """``model``, ``persistence`` or ``line`` from the three MAEs on the series' history."""
    better = min(persistence_mae, line_mae)
    if model_mae <= (1.0 - margin) * better:
        return "model"
    return "persistence" if persistence_mae <= line_mae else "line"


def learn_choice(
    x: np.ndarray, y: np.ndarray, model_forecasts: np.ndarray, margin: float = MARGIN
) -> str:
    """The choice from a series' history windows ``x`` ``[N, L]``, their targets ``y``
    ``[N, H]`` and the model's forecasts of them; ``model`` when there are none."""
    if len(x) == 0:
        return "model"
    y = np.asarray(y, dtype=np.float64)
    model_mae, persistence_mae, line_mae = (
        float(np.abs(np.asarray(f, dtype=np.float64) - y).mean())
        for f in (model_forecasts, persistence(x), linear_trend(x))
    )
    return choose(model_mae, persistence_mae, line_mae, margin)


def apply_choice(choice: str, x: np.ndarray, model_forecasts: np.ndarray) -> np.ndarray:
    """The forecasts ``[N, H]`` of windows ``x`` ``[N, L]`` under ``choice``."""
    if choice == "model":
        return np.asarray(model_forecasts, dtype=np.float64)
    if choice == "persistence":
        return persistence(x)
    if choice == "line":
        return linear_trend(x)
    raise ValueError(f"expected one of {CHOICES}, got {choice!r}")
