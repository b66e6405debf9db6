"""Fixtures of the API tests: the app on the real servers, and telemetry written by the
simulator through the pipeline (Kafka → dispatcher → telemetry-writer → VictoriaMetrics)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
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
    for sat in SIMULATED:  # all of it: a test reads the latest sample twice and compares
        wait_for(
            lambda sat=sat: len(_recent(vm, sat, 300)) >= 180,
            30,
            f"{sat}: the three minutes of telemetry in VictoriaMetrics",
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


HISTORY_RUNS = ((0, 40), (50, 30))
"""(start minute, minutes) of the two simulator runs of ``history``: a hole of 10 minutes."""


@pytest.fixture(scope="session")
def history(vm: VictoriaMetrics, kafka_bootstrap: str) -> dict[str, Any]:
    """80 minutes of SAT-001…003 a month ago with a 10-minute hole, sent by the simulator
    (seed 0) through the pipeline; the day-aligned start keeps reruns identical. Returns
    the start and, per satellite, what the simulator generated (the truth to compare)."""
    from datetime import UTC, datetime, timedelta

    from satmon.simulator.generator import generate

    day = 86_400
    start = datetime.fromtimestamp((int(time.time()) - 30 * day) // day * day, UTC)
    truth: dict[str, dict[str, list[Any]]] = {s: {"t": [], "samples": []} for s in SIMULATED}
    for offset_min, minutes in HISTORY_RUNS:
        first = start + timedelta(minutes=offset_min)
        simulate(["--satellites", "3", "--start", first.isoformat(), "--backfill", f"{minutes}m"])
        for sample in generate(3, 1.0, first, minutes * 60.0):
            truth[sample.satellite_id]["t"].append(sample.timestamp_ms)
            truth[sample.satellite_id]["samples"].append(sample)
    end = start + timedelta(minutes=80)
    for sat in SIMULATED:
        expected = len(truth[sat]["t"])
        wait_for(
            lambda sat=sat, expected=expected: _count(vm, sat, start, end) == expected,
            60,
            f"{sat}: {expected} samples of the history in VictoriaMetrics",
        )
    return {"start": start, "end": end, "truth": truth}


def _count(vm: VictoriaMetrics, sat: str, start: Any, end: Any) -> int:
    series = vm.export(
        metric_selector("temperature", sat), start=start.timestamp(), end=end.timestamp() - 0.001
    )
    return len(series[0].timestamps) if series else 0


@pytest.fixture(scope="module")
def served(settings: Settings, vm: VictoriaMetrics, kafka_bootstrap: str) -> Iterator[str]:
    """The app under a real uvicorn server on a free loopback port; yields its base URL."""
    import threading

    import uvicorn

    port = closed_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 20, "uvicorn to start", 0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_forecasts(settings: Settings, vm: VictoriaMetrics, kafka_bootstrap: str) -> dict[str, Any]:
    """Forecasts with samples after them: the simulator runs live (after a 2-minute
    backfill) while a VAE and a Transformer job forecast SAT-001's temperature; returns
    both results once VictoriaMetrics holds samples past their last forecast point."""
    body = {"satellite": "SAT-001", "metric": "temperature"}
    headers = {"Authorization": f"Bearer {settings.api_token}"}
    live = subprocess.Popen(
        [sys.executable, "-m", "satmon", "simulate", "--satellites", "3",
         "--backfill", "2m", "--duration", "60s"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: _lag_s(vm, "SAT-001") < 3, 60, "SAT-001 live in VictoriaMetrics")
        with TestClient(create_app(settings)) as client:
            locations = []
            for model in ("vae", "transformer"):
                answer = client.post(
                    "/api/v1/inference/submit", json=body | {"model": model}, headers=headers
                )
                assert answer.status_code == 202, answer.text
                locations.append(answer.headers["location"])
            results = [
                wait_for(lambda loc=loc: _done(client, loc), 60, "a forecast", 0.5)
                for loc in locations
            ]
        last_ms = max(
            int(datetime.fromisoformat(p["timestamp"].replace("Z", "+00:00")).timestamp() * 1000)
            for r in results
            for p in r["forecast"]
        )
        wait_for(lambda: _newest_ms(vm, "SAT-001") > last_ms, 30, "samples past the forecasts")
    finally:
        live.terminate()
        live.wait(timeout=30)
    assert all(r["status"] == "completed" for r in results), results
    return {"results": results}


def _done(client: TestClient, location: str) -> dict[str, Any] | None:
    body: dict[str, Any] = client.get(location).json()
    return body if body["status"] in ("completed", "failed") else None


def _newest_ms(vm: VictoriaMetrics, sat: str) -> int:
    stamps = _recent(vm, sat, 120)
    return stamps[-1] if stamps else 0


def _lag_s(vm: VictoriaMetrics, sat: str) -> float:
    return time.time() - _newest_ms(vm, sat) / 1000
