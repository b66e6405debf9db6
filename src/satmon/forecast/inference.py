"""Run a model over many windows in process: the evaluation's and the detectors' path.

Windows go in as float64, so the scaling and the persistence part of a forecast are
exact (a constant window's forecast is its value to the last bit, as the baselines').
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from satmon.forecast.modelio import Forecaster

BATCH = 4096
"""Windows per forward pass: large enough to amortise overhead, small enough for memory."""


def predict_windows(model: Forecaster, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every output of ``model.predict`` over raw windows ``x`` ``[N, L]`` (float64)."""
    return _batched(model, x, model.predict)


def point_forecasts(model: Forecaster, x: np.ndarray) -> np.ndarray:
    """Point forecasts ``[N, H]`` (float64) of raw windows ``x`` ``[N, L]``."""
    return _batched(model, x, lambda b: {"forecast": model(b)}).get("forecast", np.zeros((0, 0)))


def anomaly_scores(model: Forecaster, x: np.ndarray) -> np.ndarray:
    """The VAE's anomaly score ``[N]`` of each raw window in ``x`` ``[N, L]``."""
    if not hasattr(model, "latent_dim"):
        raise ValueError("anomaly scores need the VAE (vae_timeseries)")
    out = _batched(model, x, lambda b: model.predict(b, with_spread=False))  # type: ignore[call-arg]
    return out["anomaly_score"][:, 0] if out else np.zeros(0)


def _batched(
    model: Forecaster,
    x: np.ndarray,
    run: Callable[[torch.Tensor], dict[str, torch.Tensor]],
) -> dict[str, np.ndarray]:
    model.eval()
    parts: list[dict[str, torch.Tensor]] = []
    with torch.no_grad():
        for i in range(0, len(x), BATCH):
            batch = np.array(x[i : i + BATCH], dtype=np.float64)  # a copy: views are read-only
            parts.append(run(torch.from_numpy(batch)))
    if not parts:
        return {}
    return {k: torch.cat([p[k] for p in parts]).double().numpy() for k in parts[0]}
