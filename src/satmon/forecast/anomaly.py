"""Event-level anomaly detection from forecast / reconstruction errors (Telemanom style).

Per channel: an error score per time step (the model's one-step-ahead forecast error,
the mean error over the 10-step horizon, or the VAE's reconstruction score) → an
exponentially weighted moving average → a nonparametric dynamic threshold (the
threshold that best separates high errors from the rest, penalising many sequences)
→ contiguous anomalous sequences → pruning of sequences whose peak is not clearly
above the next one. A detected sequence that overlaps a labelled one is a hit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from satmon.contract.forecast import WINDOW
from satmon.forecast.datasets import windows_from_series
from satmon.forecast.inference import predict_windows
from satmon.forecast.modelio import Forecaster
from satmon.forecast.nasa import load_nasa_series, nasa_channels, nasa_labels

Span = tuple[int, int]
SCORE_KINDS = ("forecast1", "forecast", "reconstruction")


@dataclass(frozen=True)
class DetectorConfig:
    """Telemanom-like settings: EWMA span, threshold z range, buffer and pruning ratio."""

    smoothing_span: int = 30
    z_values: tuple[float, ...] = tuple(np.arange(2.5, 12.01, 0.5).tolist())
    buffer: int = 10
    min_decrease: float = 0.13


def error_scores(model: Forecaster, series: np.ndarray, kind: str = "forecast1") -> np.ndarray:
    """Score per time step ``[T]`` (0 before the first full window).

    ``forecast1``: |error| of the forecast of point t made from the 20 points before it;
    ``forecast``: mean |error| over the 10 points after window end t-1, placed at t;
    ``reconstruction``: the VAE's anomaly score of the window ending at t.
    """
    s = np.asarray(series, dtype=np.float64)
    out = np.zeros(len(s))
    if kind == "reconstruction":
        x = np.lib.stride_tricks.sliding_window_view(s, WINDOW)
        preds = predict_windows(model, x)
        if "anomaly_score" not in preds:
            raise ValueError("reconstruction scores need a model with anomaly_score (the VAE)")
        out[WINDOW - 1 :] = preds["anomaly_score"][:, 0]
        return out
    x, y = windows_from_series(s)
    pred = predict_windows(model, x)["forecast"]
    err = np.abs(pred - y)
    if kind == "forecast1":
        out[WINDOW : WINDOW + len(err)] = err[:, 0]
    elif kind == "forecast":
        out[WINDOW : WINDOW + len(err)] = err.mean(axis=1)
    else:
        raise ValueError(f"unknown score kind {kind!r}; expected one of {SCORE_KINDS}")
    return out


def detect(scores: np.ndarray, config: DetectorConfig | None = None) -> list[Span]:
    """Anomalous sequences (inclusive index spans) in a score series."""
    cfg = config or DetectorConfig()
    smoothed = ewma(scores, cfg.smoothing_span)
    epsilon = dynamic_threshold(smoothed, cfg.z_values, cfg.buffer)
    if epsilon is None:
        return []
    spans = sequences(smoothed > epsilon, cfg.buffer)
    return prune(spans, smoothed, cfg.min_decrease)


def ewma(values: np.ndarray, span: int) -> np.ndarray:
    """Exponentially weighted moving average (adjusted, like pandas ``ewm(span).mean()``)."""
    alpha = 2.0 / (span + 1.0)
    out = np.empty(len(values))
    num = den = 0.0
    for i, v in enumerate(np.asarray(values, dtype=np.float64)):
        num = v + (1 - alpha) * num
        den = 1.0 + (1 - alpha) * den
        out[i] = num / den
    return out


def dynamic_threshold(smoothed: np.ndarray, z_values: Sequence[float], buffer: int) -> float | None:
    """Nonparametric threshold: the ``mean + z·std`` whose removal of the points above
    it most reduces mean and std, per anomalous point and squared sequence count."""
    mean, std = float(np.mean(smoothed)), float(np.std(smoothed))
    if std == 0.0 or mean == 0.0:
        return None
    best, best_eps = -np.inf, None
    for z in z_values:
        eps = mean + z * std
        above = smoothed > eps
        n_above = int(above.sum())
        if n_above == 0 or n_above == len(smoothed):
            continue
        below = smoothed[~above]
        d_mean = (mean - float(np.mean(below))) / mean
        d_std = (std - float(np.std(below))) / std
        n_seq = len(sequences(above, buffer))
        score = (d_mean + d_std) / (n_seq**2 + n_above)
        if score > best:
            best, best_eps = score, eps
    return best_eps


def sequences(mask: np.ndarray, buffer: int = 0) -> list[Span]:
    """Runs of True as inclusive spans, each widened by ``buffer`` and merged if touching."""
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return []
    n = len(mask)
    spans: list[Span] = []
    start = prev = int(idx[0])
    for i in idx[1:]:
        if i > prev + 1 + 2 * buffer:
            spans.append((max(0, start - buffer), min(n - 1, prev + buffer)))
            start = int(i)
        prev = int(i)
    spans.append((max(0, start - buffer), min(n - 1, prev + buffer)))
    return spans


def prune(spans: list[Span], smoothed: np.ndarray, min_decrease: float) -> list[Span]:
    """Drop sequences whose peak is within ``min_decrease`` of the next lower peak
    (the largest non-anomalous value closes the list)."""
    if not spans:
        return []
    peaks = np.array([smoothed[a : b + 1].max() for a, b in spans])
    inside = np.zeros(len(smoothed), dtype=bool)
    for a, b in spans:
        inside[a : b + 1] = True
    rest = float(smoothed[~inside].max()) if (~inside).any() else 0.0
    order = np.argsort(-peaks)
    ranked = np.append(peaks[order], rest)
    keep_upto = -1
    for i in range(len(order)):
        if ranked[i] > 0 and (ranked[i] - ranked[i + 1]) / ranked[i] > min_decrease:
            keep_upto = i
    kept = set(order[: keep_upto + 1].tolist())
    return [s for i, s in enumerate(spans) if i in kept]


def event_counts(detected: Sequence[Span], labelled: Sequence[Span]) -> dict[str, int]:
    """TP: labelled sequences overlapped by a detection; FN: the rest; FP: detections
    overlapping no labelled sequence."""

    def overlaps(a: Span, b: Span) -> bool:
        return a[0] <= b[1] and b[0] <= a[1]

    tp = sum(any(overlaps(d, lab) for d in detected) for lab in labelled)
    fp = sum(not any(overlaps(d, lab) for lab in labelled) for d in detected)
    return {"tp": tp, "fp": fp, "fn": len(labelled) - tp}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def evaluate_detection(
    models: dict[str, Forecaster],
    root: Path | None = None,
    config: DetectorConfig | None = None,
) -> dict[str, Any]:
    """Event-level precision / recall / F1 per model and score kind on the labelled
    test sequences of every channel under ``root``."""
    labels = nasa_labels(root)
    series = {chan: load_nasa_series(chan, "test", root) for chan in nasa_channels(root)}
    results: dict[str, Any] = {}
    for name, model in models.items():
        kinds = [k for k in SCORE_KINDS if k != "reconstruction" or hasattr(model, "latent_dim")]
        for kind in kinds:
            totals = {"tp": 0, "fp": 0, "fn": 0}
            channels = {}
            for chan, s in series.items():
                found = detect(error_scores(model, s, kind), config)
                counts = event_counts(found, labels.get(chan, []))
                channels[chan] = {**counts, "detected": found, "labelled": labels.get(chan, [])}
                for k in totals:
                    totals[k] += counts[k]
            results[f"{name}/{kind}"] = {**totals, **prf(**totals), "channels": channels}
    return results
