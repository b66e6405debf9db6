"""An operator chasing an alarm finds its records by the alarm's id, through the whole
stack: a violating sample on Kafka, the alarm-dispatcher and alarm-evaluator raise it, an
operator acknowledges it through the API, and ``GET /api/v1/logs?alarm_id=`` holds
both steps, the evaluator's and the API's, with the alarm's satellite and event ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from satmon.contract.alarms import event_id
from satmon.contract.events import Telemetry
from satmon.settings import Settings
from tests.integration.alarms.fleet import send
from tests.integration.alarms.support import forget
from tests.integration.logs.conftest import records_of, wait_for
from tests.samples import telemetry_at

pytestmark = pytest.mark.integration
RED_HOT = 60.0
"""Above the default red-high temperature limit (47.5 °C, persistence 1)."""


@pytest.fixture
def satellite(pg: psycopg.Connection) -> Iterator[str]:
    name = f"LOGA-{uuid.uuid4().hex[:8]}"
    yield name
    forget(pg, [name])


def test_an_alarm_is_found_by_its_id_with_the_evaluators_and_the_operators_steps(
    api: httpx.Client, settings: Settings, pg: psycopg.Connection, satellite: str
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=5)
    samples = [
        Telemetry.model_validate(
            {**telemetry_at(satellite, start + timedelta(seconds=s)), "temperature": RED_HOT}
        )
        for s in range(3)
    ]
    send(samples)
    alarm_id = wait_for(
        lambda: _limit_alarm(pg, satellite),
        60,
        f"the stack's evaluator to raise {satellite}'s temperature alarm",
    )
    headers = {"Authorization": f"Bearer {settings.api_token}"}
    body = {"operator": "ops-anna", "comment": "heater stuck on, looking"}
    answer = api.post(f"/api/v1/alarms/{alarm_id}/acknowledge", json=body, headers=headers)
    assert answer.status_code == 200, answer.text

    found = wait_for(
        lambda: (r := records_of(api, alarm_id=alarm_id, range="1h")) and len(r) >= 2 and r,
        30,
        f"the records of alarm {alarm_id} from the evaluator and the API",
    )
    by_action = {r["fields"]["action"]: r for r in found}
    raised, acknowledged = by_action["raised"], by_action["acknowledged"]
    assert raised["component"] == "alarm-evaluator"
    assert raised["message"].startswith(f"alarm {alarm_id} raised: limit temperature of")
    assert raised["fields"]["severity"] == "critical"
    assert raised["event_id"] == event_id(alarm_id, 1)
    assert acknowledged["component"] == "api"
    assert acknowledged["fields"]["actor"] == "ops-anna"
    assert acknowledged["message"].endswith("heater stuck on, looking")
    assert {r["alarm_id"] for r in found} == {str(alarm_id)}
    assert {r["satellite"] for r in found} == {satellite}


def _limit_alarm(pg: psycopg.Connection, satellite: str) -> int | None:
    pg.rollback()
    query = "SELECT id FROM alarms WHERE satellite_id = %s AND kind = 'limit'"
    row = pg.execute(query, (satellite,)).fetchone()
    return None if row is None else int(row[0])


def test_an_alarm_id_that_is_no_number_is_refused(api: httpx.Client) -> None:
    answer = api.get("/api/v1/logs", params={"alarm_id": '1" OR *'})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "alarm_id" in answer.text
