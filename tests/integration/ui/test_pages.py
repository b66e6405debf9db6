"""Page logic through NiceGUI's simulated user, against the stack's real API."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from nicegui import ui
from nicegui.testing.user import User

from satmon.settings import Settings
from tests.integration.api.conftest import simulate
from tests.integration.ui.conftest import needs_endpoint
from ui.widgets import number

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.asyncio]


@pytest.fixture(scope="module")
def telemetry(api_base: str) -> list[str]:
    simulate(["--satellites", "3", "--backfill", "2m"])
    return ["SAT-001", "SAT-002", "SAT-003"]


async def test_pipeline_page_shows_topics_lag_functions_and_models(user: User) -> None:
    await user.open("/pipeline")
    await user.should_see("held in all", retries=100)
    wanted = {"satellite-telemetry", "telemetry-writer (KafkaSource)", "vae_timeseries", "✔ READY"}
    cells: set[str] = set()
    for _ in range(200):
        tables = user.find(ui.table).elements
        cells = {str(v) for t in tables for r in t.rows for v in r.values()}  # type: ignore[attr-defined]
        if wanted <= cells:
            break
        await asyncio.sleep(0.1)
    assert wanted <= cells
    assert "✔ READY" in cells and any(c.startswith("✔ up") for c in cells)


async def test_overview_shows_the_api_latest_values(
    user: User, api_base: str, telemetry: list[str]
) -> None:
    needs_endpoint(api_base, "/trends/satellites")
    await user.open("/?satellite=SAT-002")
    await user.should_see("SAT-002", marker="satellite-picker")
    cards = user.find(marker="value-battery").elements
    assert len(cards) == 1
    shown = next(iter(cards)).text  # type: ignore[attr-defined]
    fleet = httpx.get(f"{api_base}/api/v1/trends/satellites", timeout=10).json()
    latest = next(s for s in fleet if s["id"] == "SAT-002")["latest"]["battery"]
    # the card shows the latest value known: the fleet's, or a newer one from the live feed
    assert shown == number(latest) or abs(float(shown) - latest) < 0.5
    for sat in telemetry:
        await user.should_see(sat, marker=f"fleet-{sat}")


async def test_the_trends_range_changes_the_chart_window(
    user: User, api_base: str, telemetry: list[str]
) -> None:
    needs_endpoint(api_base, "/trends/raw")
    await user.open("/trends?satellite=SAT-001&metric=battery&range=1h")
    chart = await _chart(user)
    hour = chart.options["xAxis"]["max"] - chart.options["xAxis"]["min"]
    assert hour == pytest.approx(3_600_000, abs=5000)
    user.find(marker="range-picker").elements.pop().set_value("1w")  # type: ignore[attr-defined]
    for _ in range(100):
        week = chart.options["xAxis"]["max"] - chart.options["xAxis"]["min"]
        if week > hour:
            break
        await asyncio.sleep(0.1)
    assert week == pytest.approx(7 * 86_400_000, abs=5000)


async def test_a_write_asks_for_the_token_once_and_a_wrong_one_is_refused(
    user: User, settings: Settings, telemetry: list[str]
) -> None:
    await user.open("/jobs?satellite=SAT-001")
    user.find(marker="submit-job").click()
    await user.should_see("API token")
    user.find(marker="token-input").type("not-the-token")
    user.find(marker="token-ok").click()
    await user.should_see("token refused", retries=50)
    user.find(marker="token-input").type(settings.api_token)
    user.find(marker="token-ok").click()
    first = await _label_until(user, "job-status", lambda t: t.endswith("completed"), 90)
    user.find(marker="submit-job").click()  # the tab keeps the token: no dialog this time
    second = await _label_until(user, "job-status", lambda t: t != first, 30)
    assert second.split(":")[0] != first.split(":")[0]  # another job id
    await user.should_not_see("API token")


async def _label_until(user: User, marker: str, done: Any, limit_s: float) -> str:
    began = time.monotonic()
    text = ""
    while time.monotonic() - began < limit_s:
        found = user.find(marker=marker).elements
        text = next(iter(found)).text if found else ""  # type: ignore[attr-defined]
        if done(text):
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"{marker}: {text!r} after {limit_s} s")


async def _chart(user: User) -> ui.echart:
    for _ in range(100):
        found = user.find(marker="trend-chart").elements
        chart = next(iter(found)) if found else None
        if isinstance(chart, ui.echart) and chart.options.get("xAxis"):
            return chart
        await asyncio.sleep(0.1)
    raise AssertionError("the trend chart never got its options")
