"""What an operator sees, in headless Chromium, on the real stack with simulator data."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from satmon.clients.kafka import make_producer
from satmon.contract.events import TOPIC_TELEMETRY
from satmon.settings import Settings
from tests.browser.conftest import wait_for_chart
from tests.integration.api.conftest import simulate, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
HOUR_MS, WEEK_MS = 3_600_000, 7 * 86_400_000
PAGES = (
    "/?satellite=SAT-001",
    "/trends?satellite=SAT-001&metric=temperature&range=1h",
    "/statistics?satellite=SAT-001",
    "/live?satellite=SAT-001",
    "/ground-track",
    "/alarms",
    "/jobs?satellite=SAT-001",
    "/search?q=completed",
    "/pipeline",
)


@pytest.fixture(scope="module")
def fleet(dashboard: str) -> list[dict]:
    needs(dashboard, "/trends/satellites")
    simulate(["--satellites", "3", "--backfill", "3m"])
    return wait_for(
        lambda: _fleet(dashboard) if len(_fleet(dashboard)) >= 3 else None, 30, "3 satellites"
    )


def test_overview_shows_the_latest_values(page: Page, dashboard: str, fleet: list[dict]) -> None:
    page.goto(f"{dashboard}/?satellite=SAT-001")
    card = page.locator(".q-card", has_text="altitude").first
    shown = float(card.locator(".metric-value").inner_text().replace(",", ""))
    latest = next(s for s in _fleet(dashboard) if s["id"] == "SAT-001")["latest"]["altitude"]
    assert abs(shown - latest) < 1.0  # the newest value, or one a second newer from the feed
    badge = card.locator(".state-badge[data-state]").first
    assert badge.inner_text().strip() and badge.locator(".q-icon").count() == 1  # word + icon
    for sat in ("SAT-001", "SAT-002", "SAT-003"):
        assert page.get_by_role("button", name=re.compile(sat)).count() == 1


def test_one_hour_to_one_week_changes_the_chart_range(
    page: Page, dashboard: str, fleet: list[dict]
) -> None:
    page.goto(f"{dashboard}/trends?satellite=SAT-001&metric=battery&range=1h")
    hour = wait_for_chart(page, lambda o: _span(o) > 0)
    assert _span(hour) == pytest.approx(HOUR_MS, abs=5000)
    page.get_by_role("button", name="1W").click()
    week = wait_for_chart(page, lambda o: _span(o) > HOUR_MS)
    assert _span(week) == pytest.approx(WEEK_MS, abs=5000)
    assert "range=1w" in page.url  # the view lives in the URL
    assert any(s["name"] == "raw" and s["data"] for s in week["series"])


def test_the_ground_track_has_a_marker_per_satellite(
    page: Page, dashboard: str, fleet: list[dict]
) -> None:
    page.goto(f"{dashboard}/ground-track")
    option = wait_for_chart(
        page, lambda o: any(s.get("id") == "markers" and s["data"] for s in o.get("series", []))
    )
    markers = next(s for s in option["series"] if s.get("id") == "markers")
    assert sorted(d["name"] for d in markers["data"]) == sorted(s["id"] for s in _fleet(dashboard))
    for point in markers["data"]:
        lon, lat = point["value"]
        assert -180 <= lon <= 180 and -52 <= lat <= 52  # a 51.6° orbit
    coast = next(s for s in option["series"] if s.get("id") == "coastlines")
    assert len(coast["data"]) > 3000  # drawn from the shipped data, no tiles


def test_a_gap_shows_as_a_break(page: Page, dashboard: str, settings: Settings) -> None:
    needs(dashboard, "/trends/raw")
    satellite = f"SAT-9{int(time.time()) % 100:02d}"
    now = int(time.time())
    first = [now - 600 + i for i in range(120)]  # 2 min, a 3 min hole, then 2 min more
    second = [now - 300 + i for i in range(120)]
    _produce(settings, satellite, [*first, *second])
    wait_for(lambda: _samples(dashboard, satellite) >= 240, 60, f"{satellite}'s 240 samples stored")
    page.goto(f"{dashboard}/trends?satellite={satellite}&metric=temperature&range=1h")
    option = wait_for_chart(
        page, lambda o: any(s["name"] == "raw" and s["data"] for s in o["series"])
    )
    raw = next(s for s in option["series"] if s["name"] == "raw")["data"]
    hole = [p for p in raw if first[-1] * 1000 < p[0] < second[0] * 1000]
    assert len(hole) == 1 and hole[0][1] is None, hole  # one break, no line across the hole
    assert sum(1 for p in raw if p[1] is not None) == 240


def test_an_injected_violation_raises_an_alarm_that_acknowledging_changes(
    page: Page, dashboard: str, settings: Settings
) -> None:
    needs(dashboard, "/alarms")
    satellite = f"SAT-8{int(time.time()) % 100:02d}"
    now = int(time.time())
    _produce(settings, satellite, [now - 30 + i for i in range(30)], temperature=95.0)
    page.goto(f"{dashboard}/alarms")
    card = page.locator(".q-card", has_text=f"{satellite} · temperature · limit").first
    card.wait_for(timeout=60_000)  # raised by the alarm-evaluator, listed by GET /alarms
    assert "critical" in card.inner_text().lower() and "unacknowledged" in card.inner_text()
    card.get_by_role("button", name="acknowledge").click()
    page.get_by_label("token").fill(settings.api_token)
    page.get_by_label("operator").fill("browser-test")
    page.get_by_role("button", name="use").click()
    page.wait_for_function(
        """(sat) => [...document.querySelectorAll('.q-card')].some((c) =>
            c.innerText.includes(sat + ' · temperature') && /, acknowledged/.test(c.innerText))""",
        arg=satellite,
        timeout=30_000,
    )
    alarm = _alarm(dashboard, satellite)  # the API holds the step, with who took it
    assert alarm["acknowledged"] and alarm["acknowledged_by"] == "browser-test"
    assert alarm["state"] == "active_acknowledged"


def test_every_page_renders_without_a_problem(
    page: Page, dashboard: str, fleet: list[dict], screenshots: Path
) -> None:
    for path in PAGES:
        visit(page, f"{dashboard}{path}")
        page.wait_for_timeout(2500)  # charts and shared polls settle
        page.locator(".satmon-loading").first.wait_for(state="detached", timeout=60_000)
        name = path.strip("/").split("?")[0] or "overview"
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
        problems = page.locator(".satmon-problem").all_inner_texts()
        assert not problems, f"{path}: {problems}"


def visit(page: Page, url: str) -> None:
    """Open a page; once more if the previous page's socket cut the navigation short."""
    try:
        page.goto(url)
    except PlaywrightError as exc:
        if "ERR_ABORTED" not in str(exc):
            raise
        page.goto(url)
    page.wait_for_selector(".q-page", state="visible")


def needs(dashboard: str, path: str) -> None:
    answer = httpx.get(f"{dashboard}/api/v1{path}", timeout=10)
    if answer.status_code in (404, 405) and "no such route" in answer.text:
        pytest.fail(f"the API behind the dashboard has no {path}")


def _fleet(dashboard: str) -> list[dict]:
    return list(httpx.get(f"{dashboard}/api/v1/trends/satellites", timeout=10).json())


def _alarm(dashboard: str, satellite: str) -> dict:
    answer = httpx.get(
        f"{dashboard}/api/v1/alarms",
        params={"satellite": satellite, "kind": "limit", "metric": "temperature"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["items"][0])


def _span(option: dict) -> int:
    """The x axis' window in ms; 0 while the chart has no axis yet (data still loading)."""
    if not option.get("xAxis"):
        return 0
    axis = option["xAxis"][0]
    return int(axis.get("max") or 0) - int(axis.get("min") or 0)


def _samples(dashboard: str, satellite: str) -> int:
    answer = httpx.get(
        f"{dashboard}/api/v1/trends/raw",
        params={"satellite": satellite, "metric": "temperature", "range": "1h", "mode": "samples"},
        timeout=10,
    )
    return int(answer.json().get("samples", 0)) if answer.status_code == 200 else 0


def _produce(
    settings: Settings, satellite: str, stamps: list[float], temperature: float | None = None
) -> None:
    producer = make_producer(settings)
    for i, stamp in enumerate(stamps):
        moment = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        sample = {
            "satellite_id": satellite,
            "timestamp": moment,
            "temperature": temperature if temperature is not None else 10.0 + (i % 60) / 10,
            "altitude": 420.0,
            "velocity": 7.66,
            "battery": 3.9,
            "solar_power": 50.0,
            "latitude": 0.0,
            "longitude": 0.0,
        }
        producer.produce(TOPIC_TELEMETRY, key=satellite.encode(), value=orjson.dumps(sample))
    assert producer.flush(15) == 0
