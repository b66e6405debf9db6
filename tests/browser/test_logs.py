"""The Logs page in headless Chromium on the real stack: a failed job's link from the
Jobs page lands on its records; a record written meanwhile appears on the live tail;
the alarm and dead-letter links open their views. Screenshots of each."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import TOPIC_TELEMETRY, TYPE_TELEMETRY
from satmon.settings import Settings
from tests.browser.test_dashboard import visit
from tests.integration.eventing.support import produce
from tests.integration.logs.conftest import submit_failing_job, wait_for, write_few_points

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
ROWS = ".satmon-logs tbody tr"


@pytest.fixture(scope="module")
def vm(settings: Settings) -> Iterator[VictoriaMetrics]:
    client = VictoriaMetrics(settings.vm_url)
    yield client
    client.close()


@pytest.fixture
def api(dashboard: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dashboard, timeout=10) as client:  # the one origin
        yield client


def test_a_failed_jobs_link_lands_on_its_records(
    page: Page, dashboard: str, settings: Settings, vm: VictoriaMetrics, screenshots: Path
) -> None:
    satellite = f"LOGB-{uuid.uuid4().hex[:6]}"
    write_few_points(vm, satellite)
    began = time.monotonic()
    while True:  # the dashboard's hub learns of a new satellite within its 30 s refresh
        visit(page, f"{dashboard}/jobs?satellite={satellite}")
        picked = page.locator(".q-field", has_text="satellite").first.inner_text()
        if satellite in picked:
            break
        assert time.monotonic() - began < 60, f"the dashboard never listed {satellite}"
        page.wait_for_timeout(3000)
    page.get_by_role("button", name="submit").click()
    page.get_by_label("token").fill(settings.api_token)
    page.get_by_role("button", name="use").click()
    page.locator("[data-status=failed]").wait_for(timeout=60_000)
    page.get_by_role("link", name="log records of this job").click()
    page.wait_for_url("**/logs?job_id=*")
    job_id = page.url.split("job_id=")[1].split("&")[0]
    page.locator(ROWS, has_text="forecaster").first.wait_for(timeout=30_000)
    page.locator(ROWS, has_text="result-store").first.wait_for(timeout=30_000)
    rows = page.locator(ROWS).all_inner_texts()
    assert rows and all(f"job_id={job_id}" in r for r in rows), rows
    assert any("warning" in r and "not enough data" in r for r in rows)
    page.screenshot(path=str(screenshots / "logs-failed-job.png"), full_page=True)


def test_a_new_record_appears_on_the_live_tail(
    page: Page, dashboard: str, api: httpx.Client, settings: Settings, vm: VictoriaMetrics,
    screenshots: Path,
) -> None:  # fmt: skip
    request_id = f"req-tail-{uuid.uuid4().hex[:8]}"
    visit(page, f"{dashboard}/logs?request_id={request_id}&range=1h")
    page.get_by_text("live tail: new records appear on top").wait_for()
    assert page.locator(ROWS, has_text=request_id).count() == 0
    submit_failing_job(api, settings, vm, f"LOGB-{uuid.uuid4().hex[:6]}", request_id)
    page.locator(ROWS, has_text=request_id).first.wait_for(timeout=30_000)  # no reload
    assert "api" in page.locator(ROWS, has_text=request_id).first.inner_text()
    page.screenshot(path=str(screenshots / "logs-live-tail.png"), full_page=True)


def test_alarm_and_dead_letter_links_open_their_views(
    page: Page, dashboard: str, api: httpx.Client, screenshots: Path
) -> None:
    event_id = f"poison-{uuid.uuid4().hex}"
    produce(TOPIC_TELEMETRY, [event_id], key="SAT-001", event_type=TYPE_TELEMETRY)
    wait_for(
        lambda: api.get("/api/v1/logs", params={"event_id": event_id}).json()["records"],
        60,
        f"records of dead letter {event_id}",
    )
    visit(page, f"{dashboard}/pipeline")
    letter = page.locator(f'a[href*="event_id={event_id}"]').first  # one per subscriber
    letter.wait_for(state="attached", timeout=60_000)
    visit(page, dashboard + str(letter.get_attribute("href")))
    page.locator(ROWS, has_text=f"event_id={event_id}").first.wait_for(timeout=30_000)
    page.screenshot(path=str(screenshots / "logs-dead-letter.png"), full_page=True)

    visit(page, f"{dashboard}/alarms")
    alarm = page.locator(".q-card").filter(has=page.get_by_role("button", name="log records"))
    alarm.first.wait_for(timeout=30_000)
    alarm.first.get_by_role("button", name="log records").click()
    page.wait_for_url("**/logs?alarm_id=*")
    alarm_id = page.url.split("alarm_id=")[1].split("&")[0]
    raised = page.locator(ROWS, has_text=f"alarm {alarm_id} raised")
    raised.first.wait_for(timeout=30_000)  # the evaluator's record of the raise
    assert "alarm-evaluator" in raised.first.inner_text()
    rows = page.locator(ROWS).all_inner_texts()
    assert rows and all(f"alarm_id={alarm_id}" in r for r in rows), rows
    assert not page.locator(".satmon-problem").all_inner_texts()
    page.screenshot(path=str(screenshots / "logs-alarm.png"), full_page=True)
