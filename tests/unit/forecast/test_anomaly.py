"""Event-level anomaly detection: sequences, threshold, pruning, scoring."""

from __future__ import annotations

import numpy as np

from satmon.forecast.anomaly import (
    detect,
    event_counts,
    ewma,
    prf,
    prune,
    sequences,
)


def test_sequences_merge_within_the_buffer() -> None:
    mask = np.zeros(50, dtype=bool)
    mask[[10, 11, 14, 40]] = True
    assert sequences(mask) == [(10, 11), (14, 14), (40, 40)]
    assert sequences(mask, buffer=2) == [(8, 16), (38, 42)]


def test_event_counts_follow_the_overlap_rule() -> None:
    labelled = [(100, 200), (500, 600), (900, 950)]
    detected = [(150, 160), (190, 250), (300, 310), (940, 1000)]
    assert event_counts(detected, labelled) == {"tp": 2, "fp": 1, "fn": 1}
    assert prf(2, 1, 1) == {"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}
    assert prf(0, 0, 0)["f1"] == 0.0


def test_ewma_matches_the_adjusted_definition() -> None:
    out = ewma(np.array([1.0, 0.0, 0.0]), span=3)  # alpha = 0.5
    assert np.allclose(out, [1.0, 0.5 / 1.5, 0.25 / 1.75])


def test_prune_drops_peaks_close_to_the_background() -> None:
    smoothed = np.full(100, 1.0)
    smoothed[10:12] = 10.0
    smoothed[50:52] = 1.05
    kept = prune([(10, 11), (50, 51)], smoothed, 0.13)
    assert kept == [(10, 11)]


def test_detect_finds_an_injected_burst_in_noise() -> None:
    rng = np.random.default_rng(0)
    scores = np.abs(rng.normal(0.0, 0.1, 3000))
    scores[1500:1540] += 3.0
    found = detect(scores)
    assert len(found) == 1
    assert event_counts(found, [(1500, 1539)]) == {"tp": 1, "fp": 0, "fn": 0}


def test_detect_on_flat_scores_finds_nothing() -> None:
    assert detect(np.zeros(500)) == []
