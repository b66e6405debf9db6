"""Forecaster logic with a fake forecaster object (pure logic; Triton is tested elsewhere)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from cloudevents.http import CloudEvent

from satmon.clients.vm import Series
from satmon.contract.events import (
    TOPIC_REQUESTS,
    TOPIC_RESULTS,
    TYPE_FORECAST_COMPLETED,
    TYPE_FORECAST_FAILED,
    TYPE_FORECAST_REQUESTED,
    TYPE_FORECAST_STARTED,
    format_time,
)
from satmon.contract.forecast import TYPE_PING
from satmon.errors import TransientError
from satmon.pipeline.forecaster import handle_events, schedule_jobs, started_for, tick_is_stale
from tests.fakes import FakeForecaster, FakeVictoriaMetrics

T0 = 1_795_860_000_000


def series_vm(sats=("SAT-001",), points=20):
    vm = FakeVictoriaMetrics()
    for sat in sats:
        vm.series[(sat, "battery")] = Series(
            {"satellite_id": sat},
            [3.5 + 0.01 * i for i in range(points)],
            [T0 + 1000 * i for i in range(points)],
        )
    return vm


def request(job_id="job-1", model="vae", metric="battery", sat="SAT-001"):
    return CloudEvent(
        {
            "id": job_id,
            "source": "/api",
            "type": TYPE_FORECAST_REQUESTED,
            "specversion": "1.0",
            "time": "2026-11-28T10:00:00Z",
        },
        {"satellite_id": sat, "metric": metric, "model": model},
    )


def tick(tick_id="tick-1", time=None):
    return CloudEvent(
        {
            "id": tick_id,
            "source": "/apis/v1/namespaces/satmon/pingsources/fc",
            "type": TYPE_PING,
            "specversion": "1.0",
            "time": time or format_time(datetime.now(UTC)),
        },
        {"message": "tick"},
    )


def test_request_becomes_completed_result_with_forecast_and_timestamps():
    model = FakeForecaster()
    plan = handle_events([request()], series_vm(), lambda: model)
    [(topic, result)] = plan.records
    data = result.get_data()
    assert topic == TOPIC_RESULTS
    assert result["type"] == TYPE_FORECAST_COMPLETED
    assert result["partitionkey"] == "job-1"
    assert data["job_id"] == "job-1" and data["model"] == "vae_timeseries"
    assert len(data["predictions"]) == 10
    assert data["predictions"][0] == pytest.approx(3.69, abs=1e-5)
    assert data["prediction_timestamps"][0] == "2026-11-28T10:00:20.000Z"
    assert len(data["input_window"]) == 20 and len(data["lower"]) == 10
    assert model.calls == [("vae_timeseries", (1, 20))]
    json.dumps(data)  # serialisable as it will travel


def test_requests_of_one_model_share_one_call():
    model = FakeForecaster()
    vm = series_vm(("SAT-001", "SAT-002"))
    events = [
        request("a", sat="SAT-001"),
        request("b", sat="SAT-002"),
        request("c", model="transformer"),
    ]
    plan = handle_events(events, vm, lambda: model)
    assert sorted(model.calls) == [("transformer_timeseries", (1, 20)), ("vae_timeseries", (2, 20))]
    assert {e.get_data()["job_id"] for _, e in plan.records} == {"a", "b", "c"}


def test_too_few_points_and_unknown_model_fail_with_the_reason():
    plan = handle_events(
        [request(model="gpt"), request("j2", sat="SAT-009")], series_vm(points=5), FakeForecaster
    )
    reasons = {e.get_data()["job_id"]: (e["type"], e.get_data()["error"]) for _, e in plan.records}
    assert reasons["job-1"] == (TYPE_FORECAST_FAILED, "unknown model 'gpt'")
    assert reasons["j2"][0] == TYPE_FORECAST_FAILED
    assert reasons["j2"][1].startswith("not enough data: 0 of 20")


def test_malformed_request_is_rejected_not_failed():
    bad = request()
    bad.data = {"satellite_id": "SAT-001"}
    plan = handle_events([bad], series_vm(), FakeForecaster)
    assert plan.records == []
    assert plan.rejected[0].field == "data.metric"


def test_model_outage_is_transient():
    class Down:
        def forecast(self, model, windows, period=None):
            raise ConnectionError("triton down")

    with pytest.raises(TransientError):
        handle_events([request()], series_vm(), Down)


def test_tick_queues_a_job_per_satellite_metric_model_and_redelivery_is_stable():
    vm = series_vm(("SAT-001", "SAT-002"))
    first = schedule_jobs(tick(), vm)
    assert len(first) == 2 * 7 * 2
    assert {e["type"] for e in first} == {TYPE_FORECAST_REQUESTED}
    assert all(e["id"] == e.get_data()["job_id"] for e in first)
    assert first[0].get_data()["trigger"] == "schedule"
    assert [e["id"] for e in schedule_jobs(tick(), vm)] == [e["id"] for e in first]
    assert set(e["id"] for e in schedule_jobs(tick("tick-2"), vm)).isdisjoint(
        e["id"] for e in first
    )
    plan = handle_events([tick()], vm, lambda: pytest.fail("no model call on a tick"))
    assert {t for t, _ in plan.records} == {TOPIC_REQUESTS}


def test_a_stale_tick_is_acknowledged_without_queueing_jobs():
    vm = series_vm(("SAT-001",))
    long_ago = format_time(datetime.now(UTC) - timedelta(minutes=5))
    plan = handle_events([tick("old", long_ago)], vm, lambda: pytest.fail("no model call"))
    assert plan.records == [] and plan.rejected == []
    assert tick_is_stale(tick("old", long_ago))
    assert not tick_is_stale(tick())


def test_started_events_for_valid_requests_only():
    bad = request("x")
    bad.data = {}
    started = started_for([request(), bad, tick()])
    assert [(t, e["type"], e.get_data()["job_id"]) for t, e in started] == [
        (TOPIC_RESULTS, TYPE_FORECAST_STARTED, "job-1")
    ]


def test_longitude_is_forecast_as_a_wrapped_angle():
    model = FakeForecaster()
    vm = series_vm()
    vm.series[("SAT-001", "longitude")] = Series(
        {}, [170.0 + i for i in range(20)], [T0 + 1000 * i for i in range(20)]
    )
    handle_events([request(metric="longitude"), request("b")], vm, lambda: model)
    assert sorted(model.periods, key=str) == [360.0, None]
