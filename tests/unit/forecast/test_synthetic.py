"""Synthetic anomalies for choosing the threshold settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from satmon.forecast.synthetic import STEPS_PER_ANOMALY, inject


def test_injection_changes_the_series_only_inside_its_labels() -> None:
    rng = np.random.default_rng(1)
    series = np.sin(np.arange(5000) / 30.0)
    out = inject(series, rng)
    assert len(out.labels) == 5000 // STEPS_PER_ANOMALY
    inside = np.zeros(len(series), dtype=bool)
    for start, end in out.labels:
        assert 0 < start <= end < len(series)
        inside[start : end + 1] = True
    assert np.array_equal(out.series[~inside], series[~inside])
    assert all(not np.array_equal(out.series[a : b + 1], series[a : b + 1]) for a, b in out.labels)


def test_a_constant_series_still_gets_visible_anomalies() -> None:
    out = inject(np.full(1500, 0.4), np.random.default_rng(2))
    assert out.labels and np.ptp(out.series) > 0


@pytest.fixture
def training_root(tmp_path: Path) -> Path:
    """Two nominal training splits (and no test split), and a seeded torch."""
    import torch

    rng = np.random.default_rng(3)
    (tmp_path / "train").mkdir()
    for chan in ("X-1", "X-2"):
        np.save(tmp_path / "train" / f"{chan}.npy", 0.01 * rng.standard_normal((3000, 1)))
    torch.manual_seed(0)
    return tmp_path


def test_tune_scores_every_setting_on_training_splits_only(training_root: Path) -> None:
    from satmon.forecast.modelio import build_model
    from satmon.forecast.synthetic import MARGINS, QUANTILES, tune

    rows = tune(build_model("vae_timeseries").eval(), root=training_root, repeats=2)
    assert len(rows) == len(QUANTILES) * len(MARGINS)
    assert [r["f1"] for r in rows] == sorted((r["f1"] for r in rows), reverse=True)
    assert all(r["tp"] + r["fn"] == 2 * 2 for r in rows)  # 1 anomaly per channel and draw


def test_tune_dynamic_scores_every_span_on_the_injected_stretches(training_root: Path) -> None:
    from satmon.forecast.modelio import build_model
    from satmon.forecast.synthetic import SPANS, tune_dynamic

    model = build_model("vae_timeseries").eval()
    rows = tune_dynamic(model, "forecast", root=training_root, repeats=2)
    assert sorted(r["span"] for r in rows) == sorted(SPANS)
    assert [r["f1"] for r in rows] == sorted((r["f1"] for r in rows), reverse=True)
    assert all(r["tp"] + r["fn"] == 2 * 2 for r in rows)
