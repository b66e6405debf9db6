"""The Logs page through NiceGUI's simulated user, on the stack's real API and log store:
a job's link shows that job's records; a new record arrives on the live tail."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from nicegui import ui
from nicegui.testing.user import User

from satmon.clients.vm import VictoriaMetrics
from satmon.settings import Settings
from tests.integration.logs.conftest import submit_failing_job, wait_for
from ui.log_view import link

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@pytest.fixture
def api(api_base: str) -> Any:
    with httpx.Client(base_url=api_base, timeout=10) as client:
        yield client


async def test_a_failed_jobs_link_shows_its_records(
    user: User, api: httpx.Client, settings: Settings, vm: VictoriaMetrics
) -> None:
    satellite = f"LOGUI-{uuid.uuid4().hex[:8]}"
    job_id = submit_failing_job(api, settings, vm, satellite, f"req-{satellite}")["job_id"]
    wait_for(
        lambda: len(api.get("/api/v1/logs", params={"job_id": job_id}).json()["records"]) >= 3,
        60,
        f"records of job {job_id} stored",
    )
    await user.open(link(job_id=job_id))
    rows = await _rows_until(user, lambda rows: len(rows) >= 3, 30)
    assert all(f"job_id={job_id}" in r["ids"] for r in rows)
    assert {"api", "forecaster", "result-store"} <= {r["component"] for r in rows}
    assert any(r["level"] == "▲ warning" and "not enough data" in r["message"] for r in rows)


async def test_a_new_record_appears_on_the_live_tail(
    user: User, api: httpx.Client, settings: Settings, vm: VictoriaMetrics
) -> None:
    request_id = f"req-tail-{uuid.uuid4().hex[:8]}"
    await user.open(f"/logs?request_id={request_id}&range=1h")
    await user.should_see("live tail: new records", retries=100)
    assert await _rows_until(user, lambda rows: True, 1) == []
    began = time.monotonic()
    submit_failing_job(api, settings, vm, f"LOGUI-{uuid.uuid4().hex[:8]}", request_id)
    rows = await _rows_until(user, lambda rows: len(rows) >= 1, 30)  # no reload
    assert rows[0]["component"] == "api" and f"request_id={request_id}" in rows[0]["ids"]
    assert time.monotonic() - began < 30


async def _rows_until(user: User, done: Any, limit_s: float) -> list[dict[str, Any]]:
    began = time.monotonic()
    rows: list[dict[str, Any]] = []
    while True:
        tables = [t for t in user.find(ui.table).elements if isinstance(t, ui.table)]
        rows = list(tables[0].rows) if tables else []
        if done(rows) or time.monotonic() - began > limit_s:
            return rows
        await asyncio.sleep(0.2)
