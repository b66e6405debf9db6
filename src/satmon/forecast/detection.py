"""Event-level anomaly detection: scores per step, a threshold, Orion's event matching.

A detector turns a series into a score per time step (``window_scores``): the VAE's
anomaly score of the window ending at that step (what the product alarms on), or the
absolute error of a model's one-step-ahead forecast of that step (Telemanom's score).
Its threshold comes from one of two rules:

- ``nominal``: the rule of the forecast contract (``contract.forecast.anomaly_threshold``)
  on the scores of the series' own nominal history: for a NASA channel its training
  split, as in the product it is the series' recent past;
- ``dynamic``: the stretch under review judges itself, as Telemanom's nonparametric
  threshold does: its scores are smoothed (``smooth``), and of the thresholds mean + z ×
  std the one is kept whose removal of the steps above it lowers the mean and the spread
  most for the steps and stretches it flags (``dynamic_threshold``). No label is read;
  the threshold sees the whole stretch, so this rule reviews a span after the fact (as
  Orion's pipelines do), it does not alarm on a single new window.

A score that passes the threshold flags the window it was computed on (an alarm says
"something in these points"), and overlapping flagged windows form one detection.
Detections are matched to labelled sequences as Orion does (``event_counts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from satmon.contract.forecast import WINDOW, anomaly_threshold
from satmon.forecast.inference import anomaly_scores, point_forecasts
from satmon.forecast.modelio import Forecaster

Span = tuple[int, int]
EXTENT = WINDOW
"""Steps a flagged score covers, ending at the step it belongs to: the window it was
computed from."""
RULES = ("nominal", "dynamic")
SMOOTHING_SPANS = {"anomaly": 10, "forecast": 30}
"""The dynamic rule's smoothing (EWMA span, in steps) per score, chosen on NASA training
splits with injected anomalies (``satmon models tune-threshold --rule dynamic``): the
VAE's anomaly score is already a window's, the one-step error is a single step's."""
Z_VALUES = tuple(np.arange(2.5, 12.01, 0.5))
"""Candidate thresholds of the dynamic rule, in standard deviations above the mean."""


@dataclass(frozen=True)
class Detector:
    """A model and the score it is judged by: ``anomaly`` (the VAE's anomaly score) or
    ``forecast`` (|one-step-ahead error|)."""

    model: str
    score: str
    rule: str = "nominal"

    @property
    def name(self) -> str:
        label = {"anomaly": "anomaly score", "forecast": "one-step error"}[self.score]
        name = f"{self.model.split('_')[0]} / {label}"
        return name if self.rule == "nominal" else f"{name}, dynamic threshold"


def window_scores(model: Forecaster, series: np.ndarray, score: str) -> np.ndarray:
    """Score per step ``[T]``, NaN before the first step a score exists for.

    ``anomaly``: the anomaly score of the window ``series[t-19 : t+1]``, at ``t``;
    ``forecast``: |``series[t]`` − the one-step forecast from ``series[t-20 : t]``|, at ``t``.
    """
    s = np.asarray(series, dtype=np.float64)
    out = np.full(len(s), np.nan)
    if len(s) <= WINDOW:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(s, WINDOW)
    if score == "anomaly":
        out[WINDOW - 1 :] = anomaly_scores(model, windows)
    elif score == "forecast":
        first = point_forecasts(model, windows[:-1])[:, 0]
        out[WINDOW:] = np.abs(first - s[WINDOW:])
    else:
        raise ValueError(f"unknown score {score!r}; expected 'anomaly' or 'forecast'")
    return out


def detect(scores: np.ndarray, threshold: float | None, extent: int = EXTENT) -> list[Span]:
    """Inclusive spans covered by the windows (``extent`` steps ending at a step) whose
    score passes ``threshold``, overlapping or touching ones joined; none without a
    threshold."""
    if threshold is None:
        return []
    flagged = np.flatnonzero(np.nan_to_num(scores, nan=-np.inf) > threshold)
    spans: list[Span] = []
    for i in flagged.tolist():
        start = max(0, i - extent + 1)
        if spans and start <= spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], i)
        else:
            spans.append((start, i))
    return spans


def smooth(scores: np.ndarray, span: int) -> np.ndarray:
    """Exponentially weighted moving average (``span`` steps) of the finite scores; a NaN
    step stays NaN and does not move the average. ``span`` ≤ 1 returns the scores."""
    s = np.asarray(scores, dtype=np.float64)
    if span <= 1:
        return s.copy()
    alpha = 2.0 / (span + 1.0)
    out = np.full(len(s), np.nan)
    level = np.nan
    for i, value in enumerate(s.tolist()):
        if value == value:  # not NaN
            level = value if level != level else alpha * value + (1.0 - alpha) * level
            out[i] = level
    return out


def dynamic_threshold(scores: np.ndarray, z_values: Sequence[float] = Z_VALUES) -> float | None:
    """The threshold a stretch of (smoothed) scores sets itself: of mean + z × std for
    each ``z``, the one that most lowers the mean and the standard deviation of what is
    left once the steps above it are set aside, per step and stretch (squared) it flags,
    so a few steps far above the rest win over many steps a little above. None without
    finite scores; a stretch with nothing above any candidate gets the highest one."""
    s = np.asarray(scores, dtype=np.float64)
    finite = s[np.isfinite(s)]
    if len(finite) == 0:
        return None
    mean, std = float(finite.mean()), float(finite.std())
    filled = np.nan_to_num(s, nan=-np.inf)  # a missing step is never flagged
    best, best_value = None, -np.inf
    for z in z_values:
        threshold = mean + z * std
        flagged = filled > threshold
        steps = int(np.count_nonzero(flagged))
        if not steps:
            continue
        rest = finite[finite <= threshold]
        drop = (mean - rest.mean()) / mean if mean else 0.0
        drop += (std - rest.std()) / std if std else 0.0
        stretches = int(np.count_nonzero(np.diff(flagged.astype(np.int8)) == 1) + flagged[0])
        value = drop / (steps + stretches**2)
        if value > best_value:
            best, best_value = threshold, value
    return float(best) if best is not None else mean + float(max(z_values)) * std


def detect_series(
    model: Forecaster, nominal: np.ndarray, series: np.ndarray, score: str, rule: str = "nominal"
) -> tuple[float | None, list[Span]]:
    """Detect in ``series`` with the threshold of ``rule``: learned from ``nominal``
    history, or (``dynamic``) set by the smoothed scores of ``series`` itself."""
    scores = window_scores(model, series, score)
    if rule == "nominal":
        threshold = anomaly_threshold(window_scores(model, nominal, score))
        return threshold, detect(scores, threshold)
    if rule == "dynamic":
        return detect_dynamic(scores, SMOOTHING_SPANS[score])
    raise ValueError(f"unknown threshold rule {rule!r}; expected one of {RULES}")


def detect_dynamic(scores: np.ndarray, span: int) -> tuple[float | None, list[Span]]:
    """The dynamic rule on one stretch of scores: smoothed, then its own threshold."""
    smoothed = smooth(scores, span)
    threshold = dynamic_threshold(smoothed)
    return threshold, detect(smoothed, threshold)


def event_counts(detected: Sequence[Span], labelled: Sequence[Span]) -> dict[str, int]:
    """Orion's overlapping-segment matching: TP, labelled sequences that some detection
    overlaps; FN, the others; FP, detections that overlap no labelled sequence."""

    def overlaps(a: Span, b: Span) -> bool:
        return a[0] <= b[1] and b[0] <= a[1]

    tp = sum(any(overlaps(d, lab) for d in detected) for lab in labelled)
    fp = sum(not any(overlaps(d, lab) for lab in labelled) for d in detected)
    return {"tp": tp, "fp": fp, "fn": len(labelled) - tp}


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 of event counts (0 where undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
