"""An operator chasing a failed forecast or a dead letter finds its records by id,
through the whole stack: the components log, the shipper sends, VictoriaLogs stores,
``GET /api/v1/logs`` answers."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import TOPIC_TELEMETRY, TYPE_TELEMETRY, Telemetry
from satmon.settings import Settings
from tests.integration.eventing.support import produce
from tests.integration.logs.conftest import records_of, wait_for
from tests.samples import telemetry_at

pytestmark = pytest.mark.integration


def test_a_failed_forecast_is_found_by_its_job_id(
    api: httpx.Client, settings: Settings, vm: VictoriaMetrics
) -> None:
    satellite = f"LOGS-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    samples = [
        Telemetry.model_validate(telemetry_at(satellite, now - timedelta(seconds=s)))
        for s in range(5)
    ]
    vm.write_telemetry(samples)  # 5 points: the forecaster needs 20, so the job fails
    headers = {"Authorization": f"Bearer {settings.api_token}", "X-Request-Id": f"req-{satellite}"}
    body = {"satellite": satellite, "metric": "temperature", "model": "vae"}
    submitted = wait_for(
        lambda: _accepted(api.post("/api/v1/inference/submit", json=body, headers=headers)),
        30,
        f"{satellite} accepted (VictoriaMetrics shows new series within a few seconds)",
    )
    job_id = submitted["job_id"]
    result = wait_for(
        lambda: (
            (r := api.get(f"/api/v1/inference/result/{job_id}").json()).get("status") == "failed"
            and r
        ),
        60,
        f"job {job_id} failed",
    )
    link = result["links"]["logs"]  # what a person follows from the failed job
    assert link == f"/api/v1/logs?job_id={job_id}"
    assert submitted["links"]["logs"] == link
    wanted = {"api", "forecaster", "result-store"}
    found = wait_for(
        lambda: (r := records_of(api, path=link)) and wanted <= {x["component"] for x in r} and r,
        30,
        f"records of job {job_id} from {sorted(wanted)}",
    )
    by_component = {r["component"]: r for r in found}
    failed = by_component["forecaster"]
    assert failed["level"] == "warning"
    assert "not enough data: 5 of 20 points" in failed["message"]
    assert (failed["satellite"], failed["fields"]["model"]) == (satellite, "vae_timeseries")
    assert by_component["api"]["request_id"] == f"req-{satellite}"
    assert "failed" in by_component["result-store"]["message"]
    assert all(r["job_id"] == job_id for r in found)
    newest_first = [r["time"] for r in found]
    assert newest_first == sorted(newest_first, reverse=True)


def test_a_dead_lettered_event_is_found_by_its_cloudevent_id(api: httpx.Client) -> None:
    event_id = f"poison-{uuid.uuid4().hex}"
    # a telemetry event without telemetry in it: the writer refuses it, the dispatcher
    # dead-letters it, the dead-letter-store stores it — each says so, with the event id
    produce(TOPIC_TELEMETRY, [event_id], key="SAT-001", event_type=TYPE_TELEMETRY)
    wanted = {"telemetry-writer", "dispatcher", "dead-letter-store"}
    found = wait_for(
        lambda: (
            (r := records_of(api, event_id=event_id))
            and wanted <= {x["component"] for x in r}
            and r
        ),
        60,
        f"records of event {event_id} from {sorted(wanted)}",
    )
    by_component = {r["component"]: r for r in found}
    assert by_component["dispatcher"]["level"] == "warning"
    assert "satellite-telemetry.dlq" in by_component["dispatcher"]["message"]
    assert by_component["dispatcher"]["satellite"] == "SAT-001"
    assert by_component["telemetry-writer"]["message"].startswith("refused event")
    assert by_component["dead-letter-store"]["fields"]["ce_source"] == "/tests/dispatcher"
    assert {r["event_id"] for r in found} == {event_id}


def _accepted(response) -> dict | None:
    if response.status_code == 202:
        return response.json()
    assert response.status_code == 422, response.text  # not yet known: ask again
    time.sleep(1)
    return None
