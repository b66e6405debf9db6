"""telemetry-writer as a real process (satmon host) writing to the real VictoriaMetrics."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from satmon.clients.vm import VictoriaMetrics, metric_selector
from satmon.settings import REPO_ROOT

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def writer_url(vm: VictoriaMetrics) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satmon.fnhost",
            "--source",
            str(REPO_ROOT / "functions" / "telemetry-writer" / "main.py"),
            "--target",
            "write_telemetry",
            "--port",
            str(port),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(url, timeout=0.5)
                break
            except httpx.TransportError:
                if proc.poll() is not None:
                    pytest.fail(f"writer exited: {proc.stdout.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def telemetry(sat: str, moment: datetime, battery: float = 3.9) -> dict:
    return {
        "satellite_id": sat,
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "temperature": 1.0,
        "altitude": 420.0,
        "velocity": 7.7,
        "battery": battery,
        "solar_power": 50.0,
        "latitude": 10.0,
        "longitude": 20.0,
    }


def test_binary_event_and_its_redelivery_leave_one_sample(writer_url: str, vm) -> None:
    sat = f"TEST-{uuid.uuid4().hex[:8]}"
    moment = datetime.now(UTC).replace(microsecond=250000) - timedelta(minutes=2)
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "e-1",
        "ce-source": f"/satellites/{sat}",
        "ce-type": "io.satmon.telemetry.v1",
        "Content-Type": "application/json",
    }
    for _ in range(3):
        response = httpx.post(writer_url, headers=headers, json=telemetry(sat, moment))
        assert response.status_code == 200
    vm.flush_search_cache()
    series = vm.export(metric_selector("battery", sat), start=moment.timestamp() - 60)
    assert len(series) == 1
    assert series[0].values == [3.9]
    assert series[0].timestamps == [int(moment.timestamp() * 1000)]


def test_batch_writes_good_events_and_rejects_bad(writer_url: str, vm) -> None:
    sat = f"TEST-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    events = [
        {
            "specversion": "1.0",
            "id": f"b-{i}",
            "source": f"/satellites/{sat}",
            "type": "io.satmon.telemetry.v1",
            "data": telemetry(sat, start + timedelta(seconds=i), 3.0 + i / 1000),
        }
        for i in range(500)
    ]
    events[10]["data"]["battery"] = "flat"
    response = httpx.post(
        writer_url,
        content=json.dumps(events),
        headers={"Content-Type": "application/cloudevents-batch+json"},
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 499
    assert [(r["id"], r["field"]) for r in response.json()["rejected"]] == [
        ("b-10", "data.battery")
    ]
    vm.flush_search_cache()
    [series] = vm.export(metric_selector("battery", sat), start=start.timestamp() - 1)
    assert len(series.values) == 499


def test_bad_single_event_is_400_problem(writer_url: str) -> None:
    headers = {
        "ce-specversion": "1.0",
        "ce-id": "x",
        "ce-source": "/s",
        "ce-type": "io.satmon.telemetry.v1",
        "Content-Type": "application/json",
    }
    response = httpx.post(writer_url, headers=headers, content=b"{}")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"].startswith("data.")
