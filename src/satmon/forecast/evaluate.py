"""Forecast figures against the naive baselines: MAE and RMSE per horizon step.

``evaluate_windows`` scores any set of models plus persistence and linear trend on a
``WindowSet``, overall and per group (metric or channel); ``evaluate_all`` runs the
project's evaluation: held-out simulated data (with the per-metric linear reference of
``headroom``), the NASA SMAP/MSL dev channels (nominal and anomalous windows
separately) and event-level anomaly detection.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from satmon.forecast.baselines import BASELINES
from satmon.forecast.datasets import (
    HELDOUT_SIM,
    NASA_DEV_ROOT,
    WindowSet,
    nasa_windows,
    simulated_windows,
)
from satmon.forecast.modelio import Forecaster

log = logging.getLogger(__name__)
BATCH = 4096


def evaluate_all(models: dict[str, Forecaster], nasa_root: Path = NASA_DEV_ROOT) -> dict[str, Any]:
    """The full evaluation report (JSON-ready)."""
    from satmon.forecast.anomaly import evaluate_detection
    from satmon.forecast.headroom import simulated_headroom

    report: dict[str, Any] = {
        "simulated_heldout": evaluate_windows(models, simulated_windows(HELDOUT_SIM)),
        "simulated_headroom": simulated_headroom(),
    }
    if (nasa_root / "test").is_dir():
        nasa = nasa_windows(nasa_root)
        anomalous = nasa.flags["anomalous"]
        report["nasa_nominal"] = evaluate_windows(models, nasa.subset(~anomalous))
        report["nasa_anomalous"] = evaluate_windows(models, nasa.subset(anomalous))
        report["anomaly_detection"] = evaluate_detection(models, nasa_root)
    else:
        log.warning("no NASA data under %s; skipping", nasa_root)
    return report


def predict_windows(model: Forecaster, x: np.ndarray) -> dict[str, np.ndarray]:
    """Run ``model.predict`` over ``x`` ``[N, L]`` in batches → float64 arrays."""
    model.eval()
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    parts: list[dict[str, torch.Tensor]] = []
    with torch.no_grad():
        for i in range(0, len(xt), BATCH):
            parts.append(model.predict(xt[i : i + BATCH]))
    if not parts:
        return {}
    return {k: torch.cat([p[k] for p in parts]).double().numpy() for k in parts[0]}


def forecasts(models: dict[str, Forecaster], x: np.ndarray) -> dict[str, np.ndarray]:
    """Point forecasts ``[N, H]`` of every baseline and model for windows ``x``."""
    out = {name: fn(x) for name, fn in BASELINES.items()}
    for name, model in models.items():
        out[name] = predict_windows(model, x)["forecast"]
    return out


def horizon_errors(pred: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """MAE and RMSE per horizon step (``[H]`` lists) and over all steps."""
    err = pred - y
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae_per_step": np.mean(np.abs(err), axis=0).tolist(),
        "rmse_per_step": np.sqrt(np.mean(err**2, axis=0)).tolist(),
    }


def evaluate_windows(models: dict[str, Forecaster], ws: WindowSet) -> dict[str, Any]:
    """Figures per group and overall; ``summary`` has MAE and ratios to both baselines."""
    preds = forecasts(models, ws.x)
    groups = ["all", *sorted(set(ws.group.tolist()))]
    detail: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for g in groups:
        mask = np.ones(len(ws), dtype=bool) if g == "all" else ws.group == g
        if not mask.any():
            continue
        detail[g] = {"windows": int(mask.sum())}
        for name, pred in preds.items():
            detail[g][name] = horizon_errors(pred[mask], ws.y[mask])
        row: dict[str, Any] = {"windows": int(mask.sum())}
        for name in preds:
            row[f"mae_{name}"] = detail[g][name]["mae"]
        for name in models:
            for base in BASELINES:
                denom = detail[g][base]["mae"]
                row[f"ratio_{name}_vs_{base}"] = detail[g][name]["mae"] / denom if denom else None
        summary[g] = row
    return {"summary": summary, "detail": detail}
