"""result-store on the real PostgreSQL: upsert by job id, status only moves forward."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from satmon.fnhost import clients
from satmon.fnhost.host import create_function_app
from satmon.settings import REPO_ROOT

pytestmark = pytest.mark.integration

SOURCE = str(REPO_ROOT / "functions" / "result-store" / "main.py")


@pytest.fixture
def client(pg: psycopg.Connection):
    clients.db_pool.reset()  # type: ignore[attr-defined]
    return create_function_app(SOURCE, "store_result").test_client()


def post(client, event_type: str, data: dict, event_id: str | None = None) -> int:
    event = {
        "specversion": "1.0",
        "id": event_id or uuid.uuid4().hex,
        "source": "/tests/result-store",
        "type": event_type,
        "data": data,
    }
    response = client.post(
        "/", headers={"Content-Type": "application/cloudevents+json"}, data=json.dumps(event)
    )
    return response.status_code


def row(pg: psycopg.Connection, job_id: str) -> tuple:
    pg.rollback()
    return pg.execute(
        "SELECT status, started_at IS NOT NULL, completed_at IS NOT NULL, predictions, error,"
        " requested_at FROM inference_results WHERE job_id = %s",
        (job_id,),
    ).fetchone()


def test_lifecycle_and_late_older_event(client, pg: psycopg.Connection) -> None:
    job = f"test-{uuid.uuid4().hex}"
    base = {
        "job_id": job,
        "satellite_id": "SAT-T",
        "metric": "battery",
        "model": "vae_timeseries",
        "requested_at": "2026-11-28T10:00:00Z",
    }
    assert post(client, "io.satmon.forecast.requested.v1", base) == 200
    assert row(pg, job)[0] == "queued"
    assert (
        post(client, "io.satmon.forecast.started.v1", base | {"started_at": "2026-11-28T10:00:01Z"})
        == 200
    )
    assert row(pg, job)[:2] == ("running", True)
    done = base | {
        "started_at": "2026-11-28T10:00:01Z",
        "completed_at": "2026-11-28T10:00:02Z",
        "predictions": [1.5] * 10,
        "latency_ms": 3.0,
    }
    assert post(client, "io.satmon.forecast.completed.v1", done, event_id="c-" + job) == 200
    assert row(pg, job)[:4] == ("completed", True, True, [1.5] * 10)
    # a redelivered older event and a redelivered completion change nothing
    assert post(client, "io.satmon.forecast.started.v1", base) == 200
    assert post(client, "io.satmon.forecast.requested.v1", base) == 200
    assert post(client, "io.satmon.forecast.completed.v1", done, event_id="c-" + job) == 200
    assert row(pg, job)[:4] == ("completed", True, True, [1.5] * 10)
    assert pg.execute(
        "SELECT count(*) FROM inference_results WHERE job_id = %s", (job,)
    ).fetchone() == (1,)


def test_the_forecast_source_is_stored_and_a_later_event_keeps_it(client, pg) -> None:
    job = f"test-{uuid.uuid4().hex}"
    base = {
        "job_id": job,
        "satellite_id": "SAT-T",
        "metric": "battery",
        "model": "transformer_timeseries",
        "requested_at": "2026-11-28T10:00:00Z",
    }
    done = base | {"predictions": [3.7] * 10, "forecast_source": "persistence"}
    assert post(client, "io.satmon.forecast.completed.v1", done) == 200
    assert post(client, "io.satmon.forecast.started.v1", base) == 200  # late, changes nothing
    source = pg.execute(
        "SELECT forecast_source FROM inference_results WHERE job_id = %s", (job,)
    ).fetchone()
    assert source == ("persistence",)


def test_an_unknown_forecast_source_is_refused_and_stores_nothing(client, pg) -> None:
    job = f"test-{uuid.uuid4().hex}"
    bad = {
        "job_id": job,
        "satellite_id": "SAT-T",
        "metric": "battery",
        "model": "vae_timeseries",
        "requested_at": "2026-11-28T10:00:00Z",
        "predictions": [1.0] * 10,
        "forecast_source": "guess",
    }
    assert post(client, "io.satmon.forecast.completed.v1", bad) >= 400
    assert pg.execute(
        "SELECT count(*) FROM inference_results WHERE job_id = %s", (job,)
    ).fetchone() == (0,)


def test_completion_first_creates_the_row_and_failure_does_not_undo_it(client, pg) -> None:
    job = f"test-{uuid.uuid4().hex}"
    base = {
        "job_id": job,
        "satellite_id": "SAT-T",
        "metric": "altitude",
        "model": "transformer_timeseries",
        "requested_at": "2026-11-28T10:00:00Z",
    }
    assert post(client, "io.satmon.forecast.completed.v1", base | {"predictions": [2.0]}) == 200
    assert post(client, "io.satmon.forecast.failed.v1", base | {"error": "late"}) == 200
    status, _, completed, predictions, error, _ = row(pg, job)
    assert (status, completed, predictions, error) == ("completed", True, [2.0], None)


def test_failure_then_success_ends_completed(client, pg) -> None:
    job = f"test-{uuid.uuid4().hex}"
    base = {
        "job_id": job,
        "satellite_id": "SAT-T",
        "metric": "velocity",
        "model": "vae_timeseries",
        "requested_at": "2026-11-28T10:00:00Z",
    }
    assert post(client, "io.satmon.forecast.failed.v1", base | {"error": "no data"}) == 200
    assert row(pg, job)[0] == "failed"
    assert post(client, "io.satmon.forecast.completed.v1", base | {"predictions": [1.0]}) == 200
    assert row(pg, job)[0] == "completed"
    assert row(pg, job)[4] is None


def test_batch_upserts_in_one_answer(client, pg) -> None:
    jobs = [f"test-{uuid.uuid4().hex}" for _ in range(20)]
    batch = [
        {
            "specversion": "1.0",
            "id": j,
            "source": "/tests",
            "type": "io.satmon.forecast.requested.v1",
            "data": {"job_id": j, "satellite_id": "SAT-T", "metric": "battery", "model": "vae"},
        }
        for j in jobs
    ]
    response = client.post(
        "/", headers={"Content-Type": "application/cloudevents-batch+json"}, data=json.dumps(batch)
    )
    assert (response.status_code, response.json["accepted"]) == (200, 20)
    pg.rollback()
    count = pg.execute(
        "SELECT count(*) FROM inference_results WHERE job_id = ANY(%s) AND status = 'queued'",
        (jobs,),
    ).fetchone()
    assert count == (20,)
