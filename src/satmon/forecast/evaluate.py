"""The models against the naive baselines, and their detectors against Orion's pipelines.

``forecast_report`` scores models, persistence and the least-squares line on a
``WindowSet`` per group (metric or channel) and overall: MAE, the ratios to each
baseline and to the better of the two, and on how many groups each model is worse than
a baseline. ``detection_report`` runs every detector on every labelled NASA test
channel with thresholds learned from that channel's training split, and sums event
counts per spacecraft, next to Orion's published counts on the same signals.
``evaluate_all`` is what ``satmon models evaluate`` prints.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from satmon.contract.forecast import ANOMALY_MODEL
from satmon.forecast.baselines import linear_trend, persistence
from satmon.forecast.datasets import HELDOUT_SIM, WindowSet, simulated_windows
from satmon.forecast.detection import Detector, detect_series, event_counts, prf
from satmon.forecast.headroom import simulated_headroom
from satmon.forecast.inference import point_forecasts
from satmon.forecast.modelio import Forecaster
from satmon.forecast.nasa import (
    load_nasa_series,
    nasa_channels,
    nasa_labels,
    nasa_root,
    nasa_spacecraft,
    nasa_windows,
    orion_results,
)

log = logging.getLogger(__name__)
BASELINE_NAMES = ("persistence", "linear_trend")
BETTER = "better_baseline"


def evaluate_all(models: dict[str, Forecaster], nasa: Path | None = None) -> dict[str, Any]:
    """The full evaluation report (JSON-ready); ``nasa`` defaults to the ``nasa_root``
    setting and must hold ``train/``, ``test/`` and ``labeled_anomalies.csv``."""
    root = nasa_root(nasa)
    report: dict[str, Any] = {
        "simulated_heldout": forecast_report(models, simulated_windows(HELDOUT_SIM)),
        "simulated_headroom": simulated_headroom(),
        "nasa_root": str(root),
    }
    if (root / "test").is_dir():
        windows = nasa_windows(root)
        anomalous = windows.flags["anomalous"]
        report["nasa_nominal"] = forecast_report(models, windows.subset(~anomalous))
        report["nasa_anomalous"] = forecast_report(models, windows.subset(anomalous))
        report["detection"] = detection_report(models, root)
    else:
        log.warning("no NASA test split under %s; skipping", root)
    return report


def forecast_report(models: dict[str, Forecaster], ws: WindowSet) -> dict[str, Any]:
    """Per group and overall: MAE of every forecaster, each model's ratios, and the
    groups on which a model is worse than a baseline."""
    preds = {"persistence": persistence(ws.x), "linear_trend": linear_trend(ws.x)}
    preds |= {name: point_forecasts(model, ws.x) for name, model in models.items()}
    errors = {name: np.abs(pred - ws.y).mean(axis=1) for name, pred in preds.items()}  # [N]
    groups: dict[str, Any] = {}
    for g in sorted(set(ws.group.tolist())):
        rows = ws.group == g
        mae = {name: float(err[rows].mean()) for name, err in errors.items()}
        mae[BETTER] = min(mae[b] for b in BASELINE_NAMES)
        groups[g] = {"windows": int(rows.sum()), "mae": mae, "ratio": _ratios(mae, models)}
    total = {name: float(err.mean()) for name, err in errors.items()} if len(ws) else {}
    if total:
        # the better baseline of each group, chosen per group (an oracle the models lack)
        total[BETTER] = sum(g["mae"][BETTER] * g["windows"] for g in groups.values()) / len(ws)
    overall = {
        "windows": len(ws),
        "groups": len(groups),
        "mae": total,
        "ratio": _ratios(total, models) if total else {},
        "mean_ratio": {
            name: {
                b: _mean([g["ratio"][name][b] for g in groups.values()])
                for b in (*BASELINE_NAMES, BETTER)
            }
            for name in models
        },
        "worse": {
            name: {
                b: sorted(g for g, row in groups.items() if row["mae"][name] > row["mae"][b])
                for b in (*BASELINE_NAMES, BETTER)
            }
            for name in models
        },
    }
    return {"groups": groups, "overall": overall}


def detection_report(models: dict[str, Forecaster], root: Path) -> dict[str, Any]:
    """Every detector on every labelled test channel, totals per spacecraft on the
    signals Orion scores (and on all of them), and Orion's pipelines on the same."""
    labels = nasa_labels(root)
    craft = nasa_spacecraft(root)
    channels = [c for c in nasa_channels(root, "test") if c in labels]
    orion = orion_results(root)
    scored_by_orion = {r.signal for r in orion}
    sets: dict[str, list[str]] = {}
    for name in sorted({craft[c] for c in channels}):
        members = [c for c in channels if craft[c] == name]
        with_orion = [c for c in members if c in scored_by_orion]
        if with_orion:
            sets[f"{name}, the {len(with_orion)} signals Orion scores"] = with_orion
        if len(with_orion) != len(members):
            sets[f"{name}, all {len(members)} channels"] = members
    detectors: dict[str, Any] = {}
    for detector in _detectors(models):
        model = models[detector.model]
        per_channel = {}
        for chan in channels:
            threshold, found = detect_series(
                model,
                load_nasa_series(chan, "train", root),
                load_nasa_series(chan, "test", root),
                detector.score,
            )
            counts = event_counts(found, labels[chan])
            per_channel[chan] = {**counts, "threshold": threshold, "detected": found}
        detectors[detector.name] = {
            "channels": per_channel,
            "totals": {s: _totals(per_channel[c] for c in members) for s, members in sets.items()},
        }
    pipelines = sorted({r.pipeline for r in orion})
    orion_totals = {
        p: {
            s: _totals(vars(r) for r in orion if r.pipeline == p and r.signal in set(members))
            for s, members in sets.items()
            if all(c in scored_by_orion for c in members)
        }
        for p in pipelines
    }
    return {"sets": sets, "detectors": detectors, "orion": orion_totals}


def _detectors(models: dict[str, Forecaster]) -> list[Detector]:
    out = [Detector(ANOMALY_MODEL, "anomaly")] if ANOMALY_MODEL in models else []
    return out + [Detector(name, "forecast") for name in models]


def _totals(rows: Any) -> dict[str, Any]:
    counts = {"tp": 0, "fp": 0, "fn": 0}
    for row in rows:
        for key in counts:
            counts[key] += int(row[key])
    return {**counts, **prf(**counts)}


def _ratios(mae: dict[str, float], models: dict[str, Forecaster]) -> dict[str, dict[str, Any]]:
    baselines = (*BASELINE_NAMES, BETTER)
    return {name: {b: mae[name] / mae[b] if mae[b] else None for b in baselines} for name in models}


def _mean(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None
