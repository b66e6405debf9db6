"""Synthetic anomalies in nominal telemetry: how the threshold rule's settings are chosen.

The threshold rule (``contract.forecast.anomaly_threshold``: a margin over a high
quantile of nominal scores) has two settings. They are chosen without any test split:
every NASA channel's training split is cut in two, the first 60 % is the nominal
history the threshold is learned from, and the rest gets anomalies injected at random
(``inject``: spikes, level shifts, noise bursts, stuck values, drifts, sized in units of
the channel's own spread). ``tune`` scores each candidate setting with the same
detection and Orion-style event matching as the evaluation, summed over all channels;
``tune_dynamic`` does the same for the dynamic rule's smoothing span (``detection.py``),
which sees only the injected stretch. ``satmon models tune-threshold`` prints those
tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from satmon.contract.forecast import anomaly_threshold
from satmon.forecast.detection import (
    Span,
    detect,
    detect_dynamic,
    event_counts,
    prf,
    window_scores,
)
from satmon.forecast.modelio import Forecaster
from satmon.forecast.nasa import load_nasa_series, nasa_channels

KINDS = ("spike", "shift", "noise", "stuck", "drift")
HISTORY_PORTION = 0.6
STEPS_PER_ANOMALY = 1000
REPEATS = 5
"""Independent draws of anomalies per channel: about 400 anomalies in all."""
QUANTILES = (0.99, 0.995, 0.999, 1.0)
MARGINS = (1.0, 1.25, 1.5, 2.0, 3.0)
SPANS = (1, 5, 10, 20, 30, 50, 100, 200)


@dataclass(frozen=True)
class Injected:
    """A series with anomalies in it and their inclusive labelled spans."""

    series: np.ndarray
    labels: list[Span]


def inject(series: np.ndarray, rng: np.random.Generator) -> Injected:
    """About one anomaly per ``STEPS_PER_ANOMALY`` steps (at least one), each in a slot
    of its own, of a random kind and size relative to the series' spread."""
    s = np.asarray(series, dtype=np.float64).copy()
    spread = float(np.std(s)) or 0.05 * max(abs(float(np.median(s))), 1.0)
    n_anomalies = max(1, len(s) // STEPS_PER_ANOMALY)
    slot = len(s) // n_anomalies
    labels = []
    for k in range(n_anomalies):
        kind = KINDS[int(rng.integers(len(KINDS)))]
        length = 1 + int(rng.integers(3)) if kind == "spike" else int(rng.integers(30, 200))
        length = min(length, slot // 2)
        start = k * slot + int(rng.integers(slot // 4, slot - length))
        sign = rng.choice([-1.0, 1.0])
        part = slice(start, start + length)
        if kind == "spike":
            s[part] += sign * rng.uniform(3.0, 8.0) * spread
        elif kind == "shift":
            s[part] += sign * rng.uniform(1.0, 4.0) * spread
        elif kind == "noise":
            s[part] += rng.uniform(0.5, 2.0) * spread * rng.standard_normal(length)
        elif kind == "stuck":
            s[part] = s[start - 1] + sign * rng.uniform(0.5, 2.0) * spread
        else:  # drift
            s[part] += sign * rng.uniform(2.0, 5.0) * spread * np.linspace(0, 1, length)
        labels.append((start, start + length - 1))
    return Injected(s, labels)


def tune(
    model: Forecaster,
    score: str = "anomaly",
    root: Path | None = None,
    quantiles: Sequence[float] = QUANTILES,
    margins: Sequence[float] = MARGINS,
    seed: int = 0,
    repeats: int = REPEATS,
) -> list[dict[str, Any]]:
    """Event counts and P / R / F1 of every (quantile, margin) over all channels'
    training splits, each with ``repeats`` independent draws of injected anomalies, best
    F1 first."""
    cases = _cases(model, score, root, seed, repeats)
    rows = []
    for q in quantiles:
        for m in margins:
            totals = _totals(
                (detect(scores, anomaly_threshold(nominal, q, m)), labels)
                for nominal, scores, labels in cases
            )
            rows.append({"quantile": q, "margin": m, **totals, **prf(**totals)})
    return sorted(rows, key=lambda r: -r["f1"])


def tune_dynamic(
    model: Forecaster,
    score: str = "anomaly",
    root: Path | None = None,
    spans: Sequence[int] = SPANS,
    seed: int = 0,
    repeats: int = REPEATS,
) -> list[dict[str, Any]]:
    """Event counts and P / R / F1 of the dynamic rule with each smoothing span, on the
    same injected stretches as ``tune`` (the nominal history is not used), best F1
    first."""
    cases = _cases(model, score, root, seed, repeats)
    rows = []
    for span in spans:
        totals = _totals((detect_dynamic(scores, span)[1], labels) for _, scores, labels in cases)
        rows.append({"span": span, **totals, **prf(**totals)})
    return sorted(rows, key=lambda r: -r["f1"])


def _cases(
    model: Forecaster, score: str, root: Path | None, seed: int, repeats: int
) -> list[tuple[np.ndarray, np.ndarray, list[Span]]]:
    """Per channel and draw: the nominal history's scores, the injected stretch's scores
    and its labelled spans."""
    rng = np.random.default_rng(seed)
    cases = []
    for chan in nasa_channels(root, "train"):
        s = load_nasa_series(chan, "train", root)
        cut = int(HISTORY_PORTION * len(s))
        nominal = window_scores(model, s[:cut], score)
        for _ in range(repeats):
            injected = inject(s[cut:], rng)
            scores = window_scores(model, injected.series, score)
            cases.append((nominal, scores, injected.labels))
    return cases


def _totals(found: Any) -> dict[str, int]:
    totals = {"tp": 0, "fp": 0, "fn": 0}
    for detected, labels in found:
        for key, value in event_counts(detected, labels).items():
            totals[key] += value
    return totals
