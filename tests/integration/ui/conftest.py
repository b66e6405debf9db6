"""NiceGUI's simulated user on the dashboard, whose API client talks to the stack's
real operation API (``satmon up`` starts it): page logic with real data, no browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from nicegui import app
from nicegui.storage import Storage
from nicegui.testing.user import User
from nicegui.testing.user_simulation import user_simulation

from satmon.settings import Settings
from ui.app import api_url

MAIN = Path(__file__).with_name("dashboard_main.py")


@pytest.fixture(scope="session")
def api_base(settings: Settings) -> str:
    base = api_url(settings)
    try:
        ready = httpx.get(f"{base}/readyz", timeout=5)
    except httpx.HTTPError as exc:
        pytest.fail(f"the operation API is not running at {base} ({exc}): run `satmon up --detach`")
    assert ready.status_code == 200, f"the API at {base} is not ready: {ready.text}"
    return base


@pytest_asyncio.fixture
async def user(api_base: str, tmp_path: Path) -> AsyncIterator[User]:
    Storage.path = tmp_path / "nicegui"
    app.storage = Storage()
    async with user_simulation(main_file=MAIN) as simulated:
        yield simulated


def needs_endpoint(api_base: str, path: str) -> None:
    """Fail, naming it, when the API in the stack does not have ``path``."""
    answer = httpx.get(f"{api_base}/api/v1{path}", timeout=10)
    if answer.status_code in (404, 405) and "no such route" in answer.text:
        pytest.fail(f"the API in the stack has no {path}")
