"""Per-series forecast choices in the forecaster: learned from history, stored, read back,
applied to completed forecasts (a bad model gives way to a baseline, a good one stays)."""

from __future__ import annotations

import time

import numpy as np

from satmon.clients.vm import Series
from satmon.contract.forecast import MIN_HISTORY_WINDOWS
from satmon.forecast.baselines import linear_trend, persistence
from satmon.pipeline import choices
from satmon.pipeline.forecaster import handle_events
from tests.fakes import FakeVictoriaMetrics
from tests.unit.pipeline.test_forecaster import request

NOW_S = 1_795_867_200.0


class OffsetModel:
    """Forecasts persistence plus ``offset``: bad for any offset far above the noise."""

    def __init__(self, offset: float) -> None:
        self.offset = offset
        self.calls: list[tuple[str, int]] = []

    def forecast(self, model, windows, period=None):
        self.calls.append((model, len(windows)))
        fc = np.repeat(np.asarray(windows, dtype=np.float64)[:, -1:], 10, axis=1) + self.offset
        out = {"forecast": fc}
        if model == "vae_timeseries":
            score = np.zeros((len(windows), 1))
            out |= {"lower": fc - 1.0, "upper": fc + 1.0, "anomaly_score": score}
        return out


class CycleModel(OffsetModel):
    """Repeats the window's last cycle of 10: near exact on a wave of period 10."""

    def forecast(self, model, windows, period=None):
        out = super().forecast(model, windows, period)
        out["forecast"] = np.asarray(windows, dtype=np.float64)[:, -10:]
        return out


def vm_with(values: np.ndarray, end_s: float, sat: str = "SAT-001") -> FakeVictoriaMetrics:
    vm = FakeVictoriaMetrics()
    n = len(values)
    t_ms = [int((end_s - n + i) * 1000) for i in range(n)]
    vm.series[(sat, "battery")] = Series({"satellite_id": sat}, list(values), t_ms)
    return vm


def noisy_level(n: int = 3600) -> np.ndarray:
    return 3.7 + 0.01 * np.random.default_rng(0).standard_normal(n)


def test_a_choice_is_learned_stored_and_read_back() -> None:
    vm, model = vm_with(noisy_level(), NOW_S), OffsetModel(5.0)
    key = ("SAT-001", "battery")
    first = choices.choices_for([key], "transformer_timeseries", vm, lambda: model, {}, NOW_S)
    assert first[key] in ("persistence", "line")
    assert choices.MAX_WINDOWS // 2 < sum(n for _, n in model.calls) <= choices.MAX_WINDOWS
    [stored] = vm.other_series
    assert stored.labels == {
        "__name__": choices.CHOICE_METRIC,
        "satellite_id": "SAT-001",
        "metric": "battery",
        "model": "transformer_timeseries",
    }
    calls = len(model.calls)
    again = choices.choices_for([key], "transformer_timeseries", vm, lambda: model, {}, NOW_S + 60)
    assert again == first and len(model.calls) == calls  # read back, not relearned
    other = choices.choices_for([key], "vae_timeseries", vm, lambda: model, {}, NOW_S + 60)
    assert other == first and len(model.calls) > calls  # each model has its own


def test_a_bad_model_gives_way_to_the_better_baseline_in_completed_forecasts() -> None:
    vm, model = vm_with(noisy_level(), time.time()), OffsetModel(5.0)
    plan = handle_events([request(), request("t", model="transformer")], vm, lambda: model)
    window = np.asarray(vm.series[("SAT-001", "battery")].values[-20:])[None, :]
    for _, event in plan.records:
        data = event.get_data()
        got = np.asarray(data["predictions"])
        expected = {"persistence": persistence(window)[0], "line": linear_trend(window)[0]}
        assert min(np.abs(got - e).max() for e in expected.values()) < 1e-9, data["model"]
        assert data["forecast_source"] in expected
        if data["model"] == "vae_timeseries":  # the band moved with the forecast
            assert np.allclose(np.asarray(data["upper"]) - got, 1.0)


def test_a_good_model_is_kept() -> None:
    wave = 3.7 + np.sin(2 * np.pi * np.arange(3600) / 10)
    vm, model = vm_with(wave, time.time()), CycleModel(0.0)
    [(_, result)] = handle_events([request(model="transformer")], vm, lambda: model).records
    assert np.allclose(result.get_data()["predictions"], wave[-10:])
    assert result.get_data()["forecast_source"] == "model"
    assert vm.other_series[0].values == [0]  # stored: the model


def test_a_short_history_teaches_nothing_and_costs_no_model_call() -> None:
    vm, model = vm_with(noisy_level(MIN_HISTORY_WINDOWS), NOW_S), OffsetModel(5.0)
    key = ("SAT-001", "battery")
    assert choices.choices_for([key], "vae_timeseries", vm, lambda: model, {}, NOW_S) == {}
    assert model.calls == [] and vm.other_series == []


def test_a_choice_outage_leaves_the_model_forecast() -> None:
    vm, model = vm_with(noisy_level(600), time.time()), OffsetModel(5.0)

    def export_down(*args, **kwargs):
        from satmon.errors import TransientError

        raise TransientError("VictoriaMetrics unreachable (fake outage)")

    vm.export = export_down  # type: ignore[method-assign]
    [(_, result)] = handle_events([request(model="transformer")], vm, lambda: model).records
    last = vm.series[("SAT-001", "battery")].values[-1]
    assert np.allclose(result.get_data()["predictions"], last + 5.0)


def test_a_wrapped_angle_gets_a_wrapped_baseline() -> None:
    window = np.array([170.0 + 2.0 * i for i in range(20)])  # crosses +180 at step 5
    wrapped = np.mod(window + 180.0, 360.0) - 180.0
    outputs = {"forecast": np.zeros((1, 10)), "lower": -np.ones((1, 10))}
    out = choices.apply_choices(outputs, wrapped[None, :], ["line"], period=360.0)
    line = linear_trend(window[None, :])[0]
    assert np.allclose(out["forecast"][0], np.mod(line + 180.0, 360.0) - 180.0)
    assert np.all(out["forecast"][0] >= -180.0) and np.all(out["forecast"][0] < 180.0)
    assert np.allclose(np.mod(out["forecast"][0] - out["lower"][0], 360.0), 1.0)
    assert np.array_equal(outputs["forecast"], np.zeros((1, 10)))  # not modified in place
    same = choices.apply_choices(outputs, wrapped[None, :], ["model"], period=360.0)
    assert same is outputs
