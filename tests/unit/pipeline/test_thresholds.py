"""Per-series anomaly thresholds: the rule, learning from history, storing, reading back."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from satmon.clients.vm import Series
from satmon.contract.forecast import (
    MIN_HISTORY_WINDOWS,
    THRESHOLD_MARGIN,
    THRESHOLD_METRIC,
    THRESHOLD_QUANTILE,
    anomaly_threshold,
    is_anomalous,
)
from satmon.pipeline import learning, thresholds
from satmon.pipeline.forecaster import handle_events
from tests.fakes import FakeVictoriaMetrics
from tests.unit.pipeline.test_forecaster import request

NOW_S = 1_795_867_200.0


class SpreadScorer:
    """A model whose anomaly score is each window's standard deviation."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def forecast(self, model, windows, period=None):
        self.calls.append((model, len(windows)))
        last = np.repeat(windows[:, -1:], 10, axis=1)
        out = {"forecast": last}
        if model == "vae_timeseries":
            out |= {"lower": last, "upper": last, "anomaly_score": windows.std(axis=1)[:, None]}
        return out


def vm_with_history(
    sats=("SAT-001",), seconds=7200, noise=0.01, end_s=NOW_S
) -> FakeVictoriaMetrics:
    vm = FakeVictoriaMetrics()
    rng = np.random.default_rng(0)
    t_ms = [int((end_s - seconds + i) * 1000) for i in range(seconds)]
    for sat in sats:
        values = (3.7 + noise * rng.standard_normal(seconds)).tolist()
        vm.series[(sat, "battery")] = Series({"satellite_id": sat}, values, t_ms)
    return vm


def test_the_rule_is_a_margin_over_a_high_quantile_of_nominal_scores() -> None:
    scores = np.linspace(0.0, 1.0, 1001)
    expected = THRESHOLD_MARGIN * np.quantile(scores, THRESHOLD_QUANTILE)
    assert anomaly_threshold(scores) == pytest.approx(expected)
    assert anomaly_threshold(np.append(scores, [np.nan, np.inf])) == pytest.approx(expected)
    assert anomaly_threshold(scores[: MIN_HISTORY_WINDOWS - 1]) is None
    assert is_anomalous(2.0, 1.0) and not is_anomalous(1.0, 1.0)
    assert not is_anomalous(None, 1.0) and not is_anomalous(5.0, None)


def test_a_threshold_is_learned_from_history_stored_and_then_read_back() -> None:
    vm, model = vm_with_history(), SpreadScorer()
    key = ("SAT-001", "battery")
    first = thresholds.thresholds_for([key], vm, lambda: model, {}, now_s=NOW_S)
    assert set(first) == {key} and first[key] > 0
    calls = list(model.calls)
    assert {called for called, _ in calls} == {"vae_timeseries"}
    assert all(n <= thresholds.REQUEST_WINDOWS for _, n in calls)  # the models' max batch
    assert 0.9 * thresholds.MAX_WINDOWS < sum(n for _, n in calls) <= thresholds.MAX_WINDOWS
    [stored] = vm.other_series
    assert stored.labels == {
        "__name__": THRESHOLD_METRIC,
        "satellite_id": "SAT-001",
        "metric": "battery",
        "model": "vae_timeseries",
    }
    assert stored.values == [first[key]] and stored.timestamps == [int(NOW_S * 1000)]
    again = thresholds.thresholds_for([key], vm, lambda: model, {}, now_s=NOW_S + 60)
    assert again == first and len(model.calls) == len(calls)  # read back, not relearned
    later = NOW_S + learning.MAX_AGE_S + 1
    thresholds.thresholds_for([key], vm, lambda: model, {}, now_s=later)
    assert len(model.calls) > len(calls) and len(vm.other_series) == 2  # stale: learned again


def test_a_noisier_series_gets_a_higher_threshold() -> None:
    quiet = thresholds.thresholds_for(
        [("SAT-001", "battery")], vm_with_history(noise=0.01), SpreadScorer, {}, now_s=NOW_S
    )
    loud = thresholds.thresholds_for(
        [("SAT-001", "battery")], vm_with_history(noise=0.1), SpreadScorer, {}, now_s=NOW_S
    )
    assert loud[("SAT-001", "battery")] > 5 * quiet[("SAT-001", "battery")]


def test_a_short_history_teaches_nothing_and_costs_no_model_call() -> None:
    vm, model = vm_with_history(seconds=MIN_HISTORY_WINDOWS), SpreadScorer()
    assert thresholds.thresholds_for([("SAT-001", "battery")], vm, lambda: model, {}, NOW_S) == {}
    assert model.calls == [] and vm.other_series == []


def test_one_call_learns_a_bounded_number_of_series() -> None:
    sats = [f"SAT-{i:03d}" for i in range(learning.MAX_LEARN_PER_CALL + 3)]
    vm, model = vm_with_history(sats, seconds=600), SpreadScorer()
    keys = [(s, "battery") for s in sats]
    first = thresholds.thresholds_for(keys, vm, lambda: model, {}, now_s=NOW_S)
    assert len(first) == learning.MAX_LEARN_PER_CALL
    second = thresholds.thresholds_for(keys, vm, lambda: model, {}, now_s=NOW_S + 60)
    assert len(second) == len(keys)


def test_history_windows_are_strided_to_the_limit() -> None:
    windows = thresholds.history_windows(np.arange(10_000.0), limit=100)
    assert windows.shape[1] == 20 and len(windows) <= 100
    assert windows[1, 0] - windows[0, 0] == np.ceil((10_000 - 19) / 100)
    assert thresholds.history_windows(np.arange(10.0)).shape == (0, 20)


def test_completed_vae_forecasts_carry_the_series_threshold() -> None:
    vm, model = vm_with_history(seconds=600, end_s=time.time()), SpreadScorer()
    plan = handle_events([request(), request("t", model="transformer")], vm, lambda: model)
    data = {e.get_data()["model"]: e.get_data() for _, e in plan.records}
    vae = data["vae_timeseries"]
    assert vae["anomaly_threshold"] > 0 and "anomaly_score" in vae
    assert "anomaly_threshold" not in data["transformer_timeseries"]
    json.dumps(vae)


def test_a_threshold_outage_leaves_the_forecast_complete() -> None:
    vm, model = vm_with_history(seconds=600), SpreadScorer()

    def export_down(*args, **kwargs):
        from satmon.errors import TransientError

        raise TransientError("VictoriaMetrics unreachable (fake outage)")

    vm.export = export_down  # type: ignore[method-assign]
    [(_, result)] = handle_events([request()], vm, lambda: model).records
    assert result.get_data()["predictions"] and "anomaly_threshold" not in result.get_data()
