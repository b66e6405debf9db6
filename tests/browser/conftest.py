"""Headless Chromium (Debian's, driven by Playwright through ``executable_path``; no
browser download) against the dashboard the stack runs (``satmon up`` starts it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from satmon.settings import Settings
from satmon.stack.components import dashboard_url
from satmon.stack.install import ensure_browser

VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(scope="session")
def dashboard(settings: Settings) -> str:
    url = dashboard_url(settings).rstrip("/")
    try:
        health = httpx.get(f"{url}/healthz", timeout=10)
    except httpx.HTTPError as exc:
        pytest.fail(f"the dashboard is not running at {url} ({exc}): run `satmon up --detach`")
    assert health.status_code == 200, health.text
    return url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped on purpose: while Playwright's sync API is open, its event loop counts
    as running in this thread, so asyncio tests elsewhere in the same session (NiceGUI's
    User fixture, ``asyncio.run``) can only run once it is closed again."""
    executable = ensure_browser()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    opened = context.new_page()
    opened.set_default_timeout(60_000)
    yield opened
    context.close()


@pytest.fixture(scope="session")
def screenshots(settings: Settings) -> Path:
    folder = settings.run_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def chart_option(page: Page, index: int = 0) -> dict[str, Any]:
    """The live ECharts option of the page's n-th chart, as the browser holds it."""
    option: dict[str, Any] = page.evaluate(
        """(index) => {
            const el = document.querySelectorAll('.nicegui-echart')[index];
            const chart = el && getElement(el.id.slice(1)).chart;
            return chart ? JSON.parse(JSON.stringify(chart.getOption())) : null;
        }""",
        index,
    )
    return option


def wait_for_chart(
    page: Page, check: Any, index: int = 0, limit_ms: int = 60_000
) -> dict[str, Any]:
    """Poll the chart's option until ``check(option)`` holds; returns that option."""
    waited = 0
    option: dict[str, Any] | None = None
    while waited < limit_ms:
        option = chart_option(page, index)
        if option and check(option):
            return option
        page.wait_for_timeout(200)
        waited += 200
    raise AssertionError(
        f"chart {index} never satisfied the check; last option: {str(option)[:500]}"
    )
