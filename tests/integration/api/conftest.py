"""Fixtures of the API tests: the app on the real servers, and telemetry written by the
simulator through the pipeline (Kafka → dispatcher → telemetry-writer → VictoriaMetrics)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from satmon.api import create_app
from satmon.clients.vm import VictoriaMetrics, metric_selector
from satmon.settings import Settings

SIMULATED = ("SAT-001", "SAT-002", "SAT-003")


@pytest.fixture(scope="module")
def api(settings: Settings, vm: VictoriaMetrics, kafka_bootstrap: str) -> Iterator[TestClient]:
    """The app with its lifespan (pools opened), on the stack's servers."""
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def token_headers(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.api_token}"}


@pytest.fixture(scope="session")
def recent_telemetry(vm: VictoriaMetrics, kafka_bootstrap: str) -> list[str]:
    """The last three minutes of SAT-001…003, sent by ``satmon simulate --backfill``."""
    simulate(["--satellites", "3", "--backfill", "3m"])
    for sat in SIMULATED:
        wait_for(
            lambda sat=sat: len(_recent(vm, sat, 60)) >= 40,
            30,
            f"{sat}: telemetry of the last minute in VictoriaMetrics",
        )
    return list(SIMULATED)


def simulate(args: list[str]) -> None:
    """``satmon simulate ARGS`` as a user runs it; fails the test when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "satmon", "simulate", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def wait_for(check: Any, limit_s: float, what: str, every_s: float = 0.2) -> Any:
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        result = check()
        if result:
            return result
        time.sleep(every_s)
    raise AssertionError(f"{what}: not seen within {limit_s} s")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _recent(vm: VictoriaMetrics, sat: str, seconds: float) -> list[int]:
    series = vm.export(metric_selector("temperature", sat), start=time.time() - seconds)
    return series[0].timestamps if series else []
