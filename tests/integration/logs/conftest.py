"""Fixtures of the log tests: the stack's VictoriaLogs and shipper, and the API on them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from satmon.api import create_app
from satmon.clients.victorialogs import VictoriaLogs
from satmon.settings import Settings
from satmon.stack.victorialogs import shipper_healthy
from tests.integration.api.conftest import wait_for

__all__ = ["records_of", "wait_for"]


@pytest.fixture(scope="session")
def logstore(settings: Settings) -> Iterator[VictoriaLogs]:
    client = VictoriaLogs(settings.logs_url)
    if not client.healthy():
        pytest.fail(f"VictoriaLogs is not running at {settings.logs_url}: run `satmon up --detach`")
    if not shipper_healthy(settings):
        pytest.fail("the log shipper is not running: run `satmon up --detach`")
    yield client
    client.close()


@pytest.fixture(scope="module")
def api(settings: Settings, logstore: VictoriaLogs) -> Iterator[httpx.Client]:
    """The stack's own API process (its records go to its log file, so to the store)."""
    with httpx.Client(base_url=f"http://{settings.api_host}:{settings.api_port}") as client:
        try:
            client.get("/healthz", timeout=5)
        except httpx.TransportError:
            pytest.fail("the API is not running: run `satmon up --detach`")
        yield client


@pytest.fixture(scope="module")
def app_client(settings: Settings, logstore: VictoriaLogs) -> Iterator[TestClient]:
    """The API in this process, on the stack's servers (for what needs no log file)."""
    with TestClient(create_app(settings)) as client:
        yield client


def records_of(
    api: httpx.Client | TestClient, path: str = "/api/v1/logs", **params: Any
) -> list[dict[str, Any]]:
    """Every record the API pages through for ``path`` (a link, its query kept) and
    ``params`` (newest first)."""
    link = httpx.URL(path)
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**dict(link.params), **params, **({"cursor": cursor} if cursor else {})}
        response = api.get(link.path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        out.extend(page["records"])
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def write_few_points(vm: Any, satellite: str) -> None:
    """5 samples of ``satellite``: enough to make it known, too few for a forecast (20)."""
    from datetime import UTC, datetime, timedelta

    from satmon.contract.events import Telemetry
    from tests.samples import telemetry_at

    now = datetime.now(UTC)
    vm.write_telemetry(
        [
            Telemetry.model_validate(telemetry_at(satellite, now - timedelta(seconds=s)))
            for s in range(5)
        ]
    )


def submit_failing_job(
    api: httpx.Client, settings: Settings, vm: Any, satellite: str, request_id: str
) -> dict[str, Any]:
    """A forecast job that fails for lack of data: the submit answer, once the API
    accepted it (new series show within a few seconds)."""
    write_few_points(vm, satellite)
    headers = {"Authorization": f"Bearer {settings.api_token}", "X-Request-Id": request_id}
    body = {"satellite": satellite, "metric": "temperature", "model": "vae"}

    def accepted() -> dict[str, Any] | None:
        response = api.post("/api/v1/inference/submit", json=body, headers=headers)
        if response.status_code == 202:
            return dict(response.json())
        assert response.status_code == 422, response.text  # not yet known: ask again
        time.sleep(1)
        return None

    answer: dict[str, Any] = wait_for(accepted, 30, f"{satellite} accepted")
    return answer
