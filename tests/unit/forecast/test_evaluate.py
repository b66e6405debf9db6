"""The evaluation report: ratios, worse-than-baseline counts, detection totals vs Orion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from satmon.contract.forecast import HORIZON
from satmon.forecast.datasets import WindowSet, windows_from_series
from satmon.forecast.evaluate import BETTER, detection_report, forecast_report
from satmon.forecast.modelio import build_model


class LastValue(nn.Module):
    """A stand-in model that forecasts the last value (persistence)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, -1:].to(torch.float64).repeat(1, HORIZON)


def _group(series: np.ndarray, name: str) -> WindowSet:
    x, y = windows_from_series(series)
    return WindowSet(x, y, np.full(len(x), name))


def test_forecast_report_counts_the_groups_a_model_is_worse_on() -> None:
    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(size=600))
    line = 0.5 * np.arange(600) + rng.normal(scale=0.3, size=600)
    ws = WindowSet.concat([_group(walk, "walk"), _group(line, "line")])
    report = forecast_report({"last": LastValue()}, ws)  # type: ignore[dict-item]
    groups, overall = report["groups"], report["overall"]
    assert groups["walk"]["ratio"]["last"]["persistence"] == 1.0
    assert groups["line"]["mae"][BETTER] == groups["line"]["mae"]["linear_trend"]
    assert overall["worse"]["last"] == {
        "persistence": [],
        "linear_trend": ["line"],
        BETTER: ["line"],
    }
    assert overall["groups"] == 2 and overall["windows"] == len(ws)
    assert overall["ratio"]["last"]["persistence"] == pytest.approx(1.0)
    assert overall["mae"][BETTER] <= min(
        overall["mae"]["persistence"], overall["mae"]["linear_trend"]
    )


def test_detection_report_sums_per_spacecraft_next_to_orion(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for split in ("train", "test"):
        (tmp_path / split).mkdir()
    for chan in ("X-1", "Y-1"):
        np.save(tmp_path / "train" / f"{chan}.npy", (0.01 * rng.standard_normal((1500, 1))))
        test = 0.01 * rng.standard_normal((1000, 1))
        test[500:600] += 0.5
        np.save(tmp_path / "test" / f"{chan}.npy", test)
    (tmp_path / "labeled_anomalies.csv").write_text(
        "chan_id,spacecraft,anomaly_sequences,class,num_values\n"
        'X-1,SMAP,"[[500, 599]]",[point],1000\n'
        'Y-1,MSL,"[[500, 599]]",[point],1000\n'
    )
    (tmp_path / "orion-0.7.1-dev-channels.csv").write_text(
        "dataset,pipeline,signal,f1,recall,precision,fp,fn,tp\nSMAP,aer,X-1,1.0,1.0,1.0,0,0,1\n"
    )
    torch.manual_seed(0)
    report = detection_report({"vae_timeseries": build_model("vae_timeseries").eval()}, tmp_path)
    assert report["sets"] == {
        "MSL, all 1 channels": ["Y-1"],
        "SMAP, the 1 signals Orion scores": ["X-1"],
    }
    totals = report["detectors"]["vae / anomaly score"]["totals"]
    assert totals["SMAP, the 1 signals Orion scores"]["tp"] == 1
    assert report["orion"]["aer"] == {
        "SMAP, the 1 signals Orion scores": {
            "tp": 1,
            "fp": 0,
            "fn": 0,
            "precision": 1.0,
            "recall": 1.0,
            "f1": 1.0,
        }
    }
    assert set(report["detectors"]) == {
        "vae / anomaly score",
        "vae / one-step error",
        "vae / anomaly score, dynamic threshold",
        "vae / one-step error, dynamic threshold",
    }
    dynamic = report["detectors"]["vae / anomaly score, dynamic threshold"]["totals"]
    assert dynamic["MSL, all 1 channels"]["tp"] == 1


def test_forecasts_made_elsewhere_are_scored_like_a_model() -> None:
    rng = np.random.default_rng(3)
    line = 0.5 * np.arange(400) + rng.normal(scale=0.3, size=400)
    ws = _group(line, "line")
    from satmon.forecast.baselines import linear_trend

    extra = {"last+choice": linear_trend(ws.x)}
    report = forecast_report({"last": LastValue()}, ws, extra)  # type: ignore[dict-item]
    overall = report["overall"]
    assert overall["worse"]["last"][BETTER] == ["line"]
    assert overall["worse"]["last+choice"][BETTER] == []
    assert overall["ratio"]["last+choice"]["linear_trend"] == pytest.approx(1.0)
