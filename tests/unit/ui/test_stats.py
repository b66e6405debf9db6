"""Statistics: exact from samples; from buckets min / max / mean exact, std a lower bound."""

from __future__ import annotations

import math

import pytest

from ui.stats import model_errors, summarise


def test_samples_give_exact_figures() -> None:
    summary = summarise(
        {"metric": "battery", "unit": "V", "values": [1.0, 2.0, 3.0, 4.0]}, "samples"
    )
    assert (summary.count, summary.minimum, summary.maximum, summary.mean) == (4, 1.0, 4.0, 2.5)
    assert summary.std == pytest.approx(math.sqrt(1.25)) and summary.exact


def test_buckets_weight_by_count_and_skip_empty_ones() -> None:
    series = {
        "metric": "altitude",
        "count": [2, 0, 6],
        "min": [1.0, None, 0.5],
        "max": [3.0, None, 9.0],
        "avg": [2.0, None, 6.0],
    }
    summary = summarise(series, "buckets")
    assert (summary.count, summary.minimum, summary.maximum) == (8, 0.5, 9.0)
    assert summary.mean == pytest.approx(5.0)
    assert summary.std == pytest.approx(math.sqrt((2 * 9 + 6 * 1) / 8)) and not summary.exact


def test_empty_series_have_no_figures() -> None:
    assert summarise({"metric": "x", "values": []}, "samples").mean is None
    assert (
        summarise(
            {"metric": "x", "count": [0], "min": [None], "max": [None], "avg": [None]}, "buckets"
        ).count
        == 0
    )


def test_model_errors_against_persistence() -> None:
    errors = model_errors(
        {
            "errors": [
                {"model": "vae_timeseries", "points": 40, "mae": 0.5, "persistence_mae": 1.0},
                {
                    "model": "transformer_timeseries",
                    "points": 0,
                    "mae": None,
                    "persistence_mae": None,
                },
            ]
        }
    )
    assert [(e.model, e.ratio) for e in errors] == [("vae", 0.5), ("transformer", None)]
