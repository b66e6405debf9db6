"""Event-level anomaly detection with per-series thresholds learned from nominal history.

A detector turns a series into a score per time step (``window_scores``): the VAE's
anomaly score of the window ending at that step (what the product alarms on), or the
absolute error of a model's one-step-ahead forecast of that step (Telemanom's score).
Its threshold comes from the scores of the series' own nominal history with the rule of
the forecast contract (``contract.forecast.anomaly_threshold``): for a NASA channel that
history is its training split, as in the product it is the series' recent past. A score
that passes the threshold flags the window it was computed on (an alarm says "something
in these points"), and overlapping flagged windows form one detection. Detections are
matched to labelled sequences as Orion does (``event_counts``).
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


@dataclass(frozen=True)
class Detector:
    """A model and the score it is judged by: ``anomaly`` (the VAE's anomaly score) or
    ``forecast`` (|one-step-ahead error|)."""

    model: str
    score: str

    @property
    def name(self) -> str:
        label = {"anomaly": "anomaly score", "forecast": "one-step error"}[self.score]
        return f"{self.model.split('_')[0]} / {label}"


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


def detect_series(
    model: Forecaster, nominal: np.ndarray, series: np.ndarray, score: str
) -> tuple[float | None, list[Span]]:
    """Learn the threshold from ``nominal`` history, then detect in ``series``."""
    threshold = anomaly_threshold(window_scores(model, nominal, score))
    return threshold, detect(window_scores(model, series, score), threshold)


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
