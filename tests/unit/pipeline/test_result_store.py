"""Result store logic: which row each forecast event describes (SQL is in integration tests)."""

import pytest
from cloudevents.http import CloudEvent

from satmon.contract.events import (
    TYPE_FORECAST_COMPLETED,
    TYPE_FORECAST_FAILED,
    TYPE_FORECAST_REQUESTED,
    TYPE_FORECAST_STARTED,
    EventError,
)
from satmon.pipeline.result_store import row_from_event, store_events
from satmon.store.results import COLUMNS, UPSERT

JOB = {
    "job_id": "job-1",
    "satellite_id": "SAT-001",
    "metric": "battery",
    "model": "vae_timeseries",
    "requested_at": "2026-11-28T10:00:00Z",
}


def event(event_type, data):
    return CloudEvent(
        {
            "id": f"{event_type}-1",
            "source": "/functions/forecaster",
            "type": event_type,
            "specversion": "1.0",
            "time": "2026-11-28T10:00:00Z",
        },
        data,
    )


def as_dict(row):
    return dict(zip(COLUMNS, row, strict=True))


def test_each_type_maps_to_its_status():
    assert as_dict(row_from_event(event(TYPE_FORECAST_REQUESTED, JOB)))["status"] == "queued"
    started = JOB | {"started_at": "2026-11-28T10:00:01Z"}
    assert as_dict(row_from_event(event(TYPE_FORECAST_STARTED, started)))["status"] == "running"
    failed = as_dict(row_from_event(event(TYPE_FORECAST_FAILED, JOB | {"error": "no data"})))
    assert (failed["status"], failed["error"]) == ("failed", "no data")
    assert failed["completed_at"] is not None


def test_a_dead_lettered_request_marks_the_job_failed_with_the_reason():
    dead = event(TYPE_FORECAST_REQUESTED, JOB)
    dead["knativeerrordest"] = "http://127.0.0.1:8083"
    dead["knativeerrorcode"] = "503"
    dead["satmonreason"] = "retries exhausted: HTTP 503 after 7 attempt(s)"
    row = as_dict(row_from_event(dead))
    assert row["status"] == "failed" and row["completed_at"] is not None
    assert row["error"] == (
        "dead-lettered by http://127.0.0.1:8083: retries exhausted: HTTP 503 after 7 attempt(s)"
    )
    assert (row["job_id"], row["satellite_id"], row["model"]) == (
        "job-1",
        "SAT-001",
        "vae_timeseries",
    )


def test_completed_row_carries_forecast_and_window():
    data = JOB | {
        "predictions": [1.0] * 10,
        "input_window": [2.0] * 20,
        "latency_ms": 12.5,
        "prediction_timestamps": ["2026-11-28T10:00:21Z"] * 10,
        "completed_at": "2026-11-28T10:00:02Z",
        "lower": [0.5] * 10,
    }
    row = as_dict(row_from_event(event(TYPE_FORECAST_COMPLETED, data)))
    assert row["predictions"] == [1.0] * 10
    assert row["lower_bound"] == [0.5] * 10
    assert row["latency_ms"] == 12.5


def test_request_without_job_id_uses_the_event_id():
    data = {k: v for k, v in JOB.items() if k != "job_id"}
    row = as_dict(row_from_event(event(TYPE_FORECAST_REQUESTED, data)))
    assert row["job_id"] == f"{TYPE_FORECAST_REQUESTED}-1"


def test_bad_events_are_rejected_naming_the_field():
    with pytest.raises(EventError) as info:
        row_from_event(event("io.satmon.telemetry.v1", JOB))
    assert info.value.field == "type"

    class NoPool:
        def connection(self):
            raise AssertionError("nothing valid to write")

    rejected = store_events(NoPool(), [event(TYPE_FORECAST_COMPLETED, {"job_id": "x"})])
    assert rejected[0].field == "data.satellite_id"


def test_upsert_never_moves_status_back():
    assert "ON CONFLICT (job_id) DO UPDATE" in UPSERT
    assert "WHERE array_position(ARRAY['queued','running','failed','completed']" in UPSERT
