"""Run a model over many windows in process: the evaluation's and the detectors' path."""

from __future__ import annotations

import numpy as np
import torch

from satmon.forecast.modelio import Forecaster

BATCH = 4096
"""Windows per forward pass: large enough to amortise overhead, small enough for memory."""


def predict_windows(model: Forecaster, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run ``model.predict`` over raw windows ``x`` ``[N, L]`` in batches → float64 arrays."""
    model.eval()
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    parts: list[dict[str, torch.Tensor]] = []
    with torch.no_grad():
        for i in range(0, len(xt), BATCH):
            parts.append(model.predict(xt[i : i + BATCH]))
    if not parts:
        return {}
    return {k: torch.cat([p[k] for p in parts]).double().numpy() for k in parts[0]}
