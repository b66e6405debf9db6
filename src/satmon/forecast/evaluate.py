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

from satmon.forecast.anomaly import evaluate_detection
from satmon.forecast.baselines import BASELINES
from satmon.forecast.datasets import HELDOUT_SIM, WindowSet, simulated_windows
from satmon.forecast.headroom import simulated_headroom
from satmon.forecast.inference import predict_windows
from satmon.forecast.modelio import Forecaster
from satmon.forecast.nasa import nasa_root, nasa_windows

log = logging.getLogger(__name__)


def evaluate_all(models: dict[str, Forecaster], nasa: Path | None = None) -> dict[str, Any]:
    """The full evaluation report (JSON-ready); ``nasa`` defaults to the ``nasa_root``
    setting."""
    root = nasa_root(nasa)
    report: dict[str, Any] = {
        "simulated_heldout": evaluate_windows(models, simulated_windows(HELDOUT_SIM)),
        "simulated_headroom": simulated_headroom(),
    }
    if (root / "test").is_dir():
        windows = nasa_windows(root)
        anomalous = windows.flags["anomalous"]
        report["nasa_nominal"] = evaluate_windows(models, windows.subset(~anomalous))
        report["nasa_anomalous"] = evaluate_windows(models, windows.subset(anomalous))
        report["anomaly_detection"] = evaluate_detection(models, root)
    else:
        log.warning("no NASA test split under %s; skipping", root)
    return report


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
