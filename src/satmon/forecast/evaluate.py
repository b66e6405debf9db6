"""The models against the naive baselines, and their detectors against Orion's pipelines.

``forecast_report`` scores models, persistence and the least-squares line on a
``WindowSet`` per group (metric or channel) and overall: MAE, the ratios to each
baseline and to the better of the two, and on how many groups each model is worse than
a baseline. ``detection_report`` runs every detector on every labelled NASA test
channel with thresholds learned from that channel's training split, and with the
dynamic threshold each test split sets itself (``detection.py``), and sums event
counts per spacecraft, next to Orion's published counts on the same signals.
``evaluate_all`` is what ``satmon models evaluate`` prints.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from satmon.contract.forecast import ANOMALY_MODEL, HORIZON, WINDOW
from satmon.forecast.baselines import linear_trend, persistence
from satmon.forecast.choice import apply_choice, learn_choice
from satmon.forecast.combiner import series_forecasts
from satmon.forecast.datasets import (
    HELDOUT_SIM,
    VAL_SIMS,
    WindowSet,
    simulated_series,
    simulated_windows,
    windows_from_series,
)
from satmon.forecast.detection import RULES, Detector, detect_series, event_counts, prf
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
CALIBRATION_SEED = 4
"""The held-out satellites' earlier stretch for the per-series choice: the same
satellites (orbit, parameters) with this seed's noise and events (training: 1,
validation: 2, held-out: 3)."""


def evaluate_all(
    models: dict[str, Forecaster],
    nasa: Path | None = None,
    backtest: bool = False,
    choice: bool = False,
) -> dict[str, Any]:
    """The full evaluation report (JSON-ready); ``nasa`` defaults to the ``nasa_root``
    setting and must hold ``train/``, ``test/`` and ``labeled_anomalies.csv``. With
    ``backtest``, each model also through the backtest combiner (``combiner.py``), as
    ``<model>+backtest``; with ``choice``, each model under the per-series choice
    (``choice.py``) learned from each NASA channel's training split and from an earlier
    simulated stretch of each held-out satellite, as ``<model>+choice``."""
    root = nasa_root(nasa)
    sim = simulated_windows(HELDOUT_SIM)
    sim_extra = _combined(models, _sim_series(), HELDOUT_SIM.stride) if backtest else {}
    picks: dict[str, Any] = {}
    if choice:
        labels = [f"{sat}:{m}" for sat in HELDOUT_SIM.satellites for m in HELDOUT_SIM.metrics]
        forecasts, picks["simulated_heldout"] = _chosen(
            models, _sim_series(CALIBRATION_SEED), _sim_series(), HELDOUT_SIM.stride, labels
        )
        sim_extra |= forecasts
    report: dict[str, Any] = {
        "simulated_heldout": forecast_report(models, sim, sim_extra),
        "simulated_headroom": simulated_headroom(),
        "nasa_root": str(root),
    }
    if (root / "test").is_dir():
        windows = nasa_windows(root)
        anomalous = windows.flags["anomalous"]
        extra: dict[str, np.ndarray] = {}
        chans = nasa_channels(root, "test")
        if backtest or choice:
            series = [load_nasa_series(c, "test", root) for c in chans]
        if backtest:
            extra |= _combined(models, series, 1)
        if choice:
            history = [load_nasa_series(c, "train", root) for c in chans]
            forecasts, picks["nasa"] = _chosen(models, history, series, 1, chans)
            extra |= forecasts
        nominal = {k: v[~anomalous] for k, v in extra.items()}
        report["nasa_nominal"] = forecast_report(models, windows.subset(~anomalous), nominal)
        odd = {k: v[anomalous] for k, v in extra.items()}
        report["nasa_anomalous"] = forecast_report(models, windows.subset(anomalous), odd)
        report["detection"] = detection_report(models, root)
    else:
        log.warning("no NASA test split under %s; skipping", root)
    if picks:
        report["choices"] = picks
    return report


def forecast_report(
    models: dict[str, Forecaster], ws: WindowSet, extra: dict[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """Per group and overall: MAE of every forecaster, each model's ratios, and the
    groups on which a model is worse than a baseline. ``extra``: forecasts ``[N, H]`` of
    ``ws``'s windows made elsewhere (the backtest combiner's), scored like a model's."""
    preds = {"persistence": persistence(ws.x), "linear_trend": linear_trend(ws.x)}
    preds |= {name: point_forecasts(model, ws.x) for name, model in models.items()}
    preds |= extra or {}
    names = [*models, *(extra or {})]
    errors = {name: np.abs(pred - ws.y).mean(axis=1) for name, pred in preds.items()}  # [N]
    groups: dict[str, Any] = {}
    for g in sorted(set(ws.group.tolist())):
        rows = ws.group == g
        mae = {name: float(err[rows].mean()) for name, err in errors.items()}
        mae[BETTER] = min(mae[b] for b in BASELINE_NAMES)
        groups[g] = {"windows": int(rows.sum()), "mae": mae, "ratio": _ratios(mae, names)}
    total = {name: float(err.mean()) for name, err in errors.items()} if len(ws) else {}
    if total:
        # the better baseline of each group, chosen per group (an oracle the models lack)
        total[BETTER] = sum(g["mae"][BETTER] * g["windows"] for g in groups.values()) / len(ws)
    overall = {
        "windows": len(ws),
        "groups": len(groups),
        "mae": total,
        "ratio": _ratios(total, names) if total else {},
        "mean_ratio": {
            name: {
                b: _mean([g["ratio"][name][b] for g in groups.values()])
                for b in (*BASELINE_NAMES, BETTER)
            }
            for name in names
        },
        "worse": {
            name: {
                b: sorted(g for g, row in groups.items() if row["mae"][name] > row["mae"][b])
                for b in (*BASELINE_NAMES, BETTER)
            }
            for name in names
        },
    }
    return {"groups": groups, "overall": overall}


def _sim_series(seed: int = HELDOUT_SIM.seed) -> list[np.ndarray]:
    """The held-out simulated series in ``simulated_windows``' order (satellite, metric);
    with another ``seed``, the same satellites' dynamics with other noise and events."""
    out = []
    for sat in HELDOUT_SIM.satellites:
        arrays = simulated_series(sat, HELDOUT_SIM.n_steps, HELDOUT_SIM.step_s, seed)
        out += [arrays[metric] for metric in HELDOUT_SIM.metrics]
    return out


def _combined(
    models: dict[str, Forecaster], series: list[np.ndarray], stride: int
) -> dict[str, np.ndarray]:
    """Each model through the backtest combiner on every window of ``series`` (stride
    ``stride``, in ``windows_from_series``' order), concatenated like the window sets."""
    out: dict[str, np.ndarray] = {}
    for name, model in models.items():
        parts = []
        for s in series:
            starts = np.arange(0, max(len(s) - WINDOW - HORIZON + 1, 0), stride)
            run = partial(point_forecasts, model)
            parts.append(series_forecasts(s, starts, run).forecast)
        out[f"{name}+backtest"] = np.concatenate(parts) if parts else np.zeros((0, HORIZON))
    return out


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
                detector.rule,
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
    scored = [(ANOMALY_MODEL, "anomaly")] if ANOMALY_MODEL in models else []
    scored += [(name, "forecast") for name in models]
    return [Detector(model, score, rule) for rule in RULES for model, score in scored]


def _totals(rows: Any) -> dict[str, Any]:
    counts = {"tp": 0, "fp": 0, "fn": 0}
    for row in rows:
        for key in counts:
            counts[key] += int(row[key])
    return {**counts, **prf(**counts)}


def _chosen(
    models: dict[str, Forecaster],
    history: list[np.ndarray],
    series: list[np.ndarray],
    stride: int,
    labels: list[str],
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, str]]]:
    """Each model under the choice learned on ``history[i]`` (every window, stride 1) for
    the windows of ``series[i]`` (stride ``stride``), concatenated like the window sets;
    and, per model, the choice of each series (``labels``) that did not keep the model."""
    out: dict[str, np.ndarray] = {}
    picks: dict[str, dict[str, str]] = {}
    for name, model in models.items():
        parts = []
        picks[name] = {}
        for before, s, label in zip(history, series, labels, strict=True):
            hx, hy = windows_from_series(before)
            picked = learn_choice(hx, hy, point_forecasts(model, hx))
            if picked != "model":
                picks[name][label] = picked
            x, _ = windows_from_series(s, stride=stride)
            parts.append(apply_choice(picked, x, point_forecasts(model, x)))
        out[f"{name}+choice"] = np.concatenate(parts) if parts else np.zeros((0, HORIZON))
    return out, picks


def _ratios(mae: dict[str, float], names: Iterable[str]) -> dict[str, dict[str, Any]]:
    baselines = (*BASELINE_NAMES, BETTER)
    return {name: {b: mae[name] / mae[b] if mae[b] else None for b in baselines} for name in names}


def _mean(values: list[Any]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def tune_choice(
    models: dict[str, Forecaster],
    nasa: Path | None = None,
    fractions: tuple[float, ...] = (0.3, 0.5, 0.6),
    margins: tuple[float, ...] = (0.0, 0.01, 0.02, 0.05),
) -> list[dict[str, Any]]:
    """How ``choice.MARGIN`` was chosen, on training data only: each NASA training split
    and each simulated validation series (``VAL_SIMS``, stride 1) learns its choice on its
    first ``fraction`` and is scored on the rest; per model, fraction and margin, the
    groups (channels; metrics) worse than their better baseline there and the pooled
    ratios, next to the model alone. No test split is read."""
    root = nasa_root(nasa)
    series = [("nasa", c, load_nasa_series(c, "train", root)) for c in nasa_channels(root, "train")]
    for spec in VAL_SIMS:
        for sat in spec.satellites:
            arrays = simulated_series(sat, spec.n_steps, spec.step_s, spec.seed)
            series += [("simulated", m, arrays[m]) for m in spec.metrics]
    rows = []
    for name, model in models.items():
        cached = []
        for source, group, s in series:
            x, y = windows_from_series(s)
            cached.append((source, group, x, y, point_forecasts(model, x)))
        for fraction in fractions:
            for margin in margins:
                row: dict[str, Any] = {"model": name, "fraction": fraction, "margin": margin}
                for src in ("nasa", "simulated"):
                    row[src] = _split_scores(
                        [c[1:] for c in cached if c[0] == src], fraction, margin
                    )
                rows.append(row)
    return rows


def _split_scores(
    cached: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]], fraction: float, margin: float
) -> dict[str, Any]:
    sums: dict[str, np.ndarray] = {}  # group → absolute error sums: chosen, model, P, L; n
    for group, x, y, fc in cached:
        cut = int(fraction * len(x))
        picked = learn_choice(x[:cut], y[:cut], fc[:cut], margin)
        rest = (x[cut:], y[cut:])
        chosen = apply_choice(picked, rest[0], fc[cut:])
        errs = [
            np.abs(f - rest[1]).mean(axis=1).sum()
            for f in (chosen, fc[cut:], persistence(rest[0]), linear_trend(rest[0]))
        ]
        sums[group] = sums.get(group, np.zeros(5)) + np.array([*errs, len(rest[0])])
    total = np.sum(list(sums.values()), axis=0) if sums else np.zeros(5)
    return {
        "groups": len(sums),
        "worse": sorted(g for g, a in sums.items() if a[0] > min(a[2], a[3])),
        "model_worse": sorted(g for g, a in sums.items() if a[1] > min(a[2], a[3])),
        "pooled_vs_persistence": float(total[0] / total[2]) if total[2] else None,
        "model_pooled_vs_persistence": float(total[1] / total[2]) if total[2] else None,
        "mean_vs_line": _mean([a[0] / a[3] if a[3] else None for a in sums.values()]),
        "model_mean_vs_line": _mean([a[1] / a[3] if a[3] else None for a in sums.values()]),
    }
