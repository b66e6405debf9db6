"""result-store through functions-framework with a recording pool (SQL: integration tests)."""

import json

import pytest
from functions_framework import create_app

from satmon.errors import TransientError
from satmon.fnhost import clients
from satmon.fnhost.host import create_function_app
from satmon.settings import REPO_ROOT

SOURCE = str(REPO_ROOT / "functions" / "result-store" / "main.py")
JOB = {
    "job_id": "job-1",
    "satellite_id": "SAT-001",
    "metric": "battery",
    "model": "vae_timeseries",
    "requested_at": "2026-11-28T10:00:00Z",
    "predictions": [1.0] * 10,
}


class RecordingPool:
    """Collects the rows that would be upserted."""

    def __init__(self):
        self.rows = []

    def connection(self, timeout=None):
        pool = self

        class Conn:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def transaction(self):
                return self

            def cursor(self):
                return self

            def executemany(self, sql, rows):
                pool.rows.extend(rows)

        return Conn()


@pytest.fixture
def pool(monkeypatch):
    recording = RecordingPool()
    monkeypatch.setattr(clients, "db_pool", lambda: recording)
    return recording


@pytest.fixture(params=["functions-framework", "satmon-host"])
def client(request, pool):
    if request.param == "functions-framework":
        return create_app("store_result", SOURCE, "cloudevent").test_client()
    return create_function_app(SOURCE, "store_result").test_client()


def binary(event_type="io.satmon.forecast.completed.v1"):
    return {
        "ce-specversion": "1.0",
        "ce-id": "r-1",
        "ce-source": "/functions/forecaster",
        "ce-type": event_type,
        "Content-Type": "application/json",
    }


def test_binary_and_structured_results_are_upserted(client, pool):
    assert client.post("/", headers=binary(), data=json.dumps(JOB)).status_code == 200
    event = {
        "specversion": "1.0",
        "id": "r-2",
        "source": "/x",
        "type": "io.satmon.forecast.failed.v1",
        "data": JOB | {"error": "boom"},
    }
    response = client.post(
        "/", headers={"Content-Type": "application/cloudevents+json"}, data=json.dumps(event)
    )
    assert response.status_code == 200
    assert [(r[0], r[4]) for r in pool.rows] == [("job-1", "completed"), ("job-1", "failed")]


def test_bad_event_is_400(client, pool):
    response = client.post("/", headers=binary(), data=json.dumps({"job_id": "j"}))
    assert response.status_code == 400
    assert response.json["field"] == "data.satellite_id"
    wrong = client.post("/", headers=binary("io.satmon.telemetry.v1"), data=json.dumps(JOB))
    assert (wrong.status_code, wrong.json["field"]) == (400, "type")
    assert pool.rows == []


def test_database_down_is_503(client, monkeypatch):
    def down():
        raise TransientError("PostgreSQL unavailable")

    monkeypatch.setattr(clients, "db_pool", down)
    assert client.post("/", headers=binary(), data=json.dumps(JOB)).status_code == 503


def test_batch_is_one_transaction(pool):
    client = create_function_app(SOURCE, "store_result").test_client()
    batch = [
        {
            "specversion": "1.0",
            "id": f"r{i}",
            "source": "/f",
            "type": "io.satmon.forecast.completed.v1",
            "data": JOB | {"job_id": f"j{i}"},
        }
        for i in range(5)
    ]
    response = client.post(
        "/", headers={"Content-Type": "application/cloudevents-batch+json"}, data=json.dumps(batch)
    )
    assert (response.status_code, response.json["accepted"]) == (200, 5)
    assert len(pool.rows) == 5
