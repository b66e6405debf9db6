"""``/export/csv`` equals the simulator's history row by row; ``/stream/telemetry``
delivers each new sample to every client from one Kafka follower."""

from __future__ import annotations

import csv
import io
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from satmon.clients.kafka import make_producer, produce_event
from satmon.contract.events import METRICS, TOPIC_TELEMETRY, Telemetry, format_time, telemetry_event

pytestmark = pytest.mark.integration


def test_csv_has_a_row_per_timestamp_and_a_column_per_metric(
    api: TestClient, history: dict[str, Any]
) -> None:
    params = {
        "satellite": "SAT-001",
        "start": history["start"].isoformat(),
        "end": (history["start"] + timedelta(minutes=80)).isoformat(),
    }
    answer = api.get("/api/v1/export/csv", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["timestamp", *METRICS]
    truth = history["truth"]["SAT-001"]["samples"]
    assert len(rows) - 1 == len(truth) == 4200  # the hole has no rows
    for row, sample in zip(rows[1:], truth, strict=True):
        assert row[0] == format_time(sample.timestamp)
        assert [float(v) for v in row[1:]] == [getattr(sample, m) for m in METRICS]
    two = api.get("/api/v1/export/csv", params=params | {"metric": ["battery", "temperature"]})
    assert two.text.splitlines()[0] == "timestamp,temperature,battery"


def _sample(sat: str, i: int) -> Telemetry:
    return Telemetry(
        satellite_id=sat,
        timestamp=datetime.now(UTC) + timedelta(milliseconds=i),
        temperature=20.0 + i, altitude=420.0, velocity=7.7, battery=3.9,
        solar_power=50.0, latitude=0.0, longitude=0.0,
    )  # fmt: skip


def _listen(url: str, sat: str, n: int, out: list[Any], live: threading.Event) -> None:
    with httpx.stream(
        "GET", f"{url}/api/v1/stream/telemetry",
        params={"satellite": sat, "max_events": n}, timeout=30,
    ) as response:  # fmt: skip
        out.append(response.headers["content-type"])
        event: dict[str, str] = {}
        for line in response.iter_lines():
            if line == ": live":
                live.set()
            elif line.startswith(("id:", "event:", "data:")):
                name, _, value = line.partition(": ")
                event[name] = value
            elif line == "" and event:
                out.append(event)
                event = {}


def test_every_client_gets_each_new_sample_from_one_follower(
    served: str, recent_telemetry: list[str]
) -> None:
    import json

    sat = "SAT-002"  # known to the API; the samples below are new ones
    outs: list[list[Any]] = [[], []]
    lives = [threading.Event(), threading.Event()]
    threads = [
        threading.Thread(target=_listen, args=(served, sat, 3, outs[i], lives[i]), daemon=True)
        for i in range(2)
    ]
    for t in threads:
        t.start()
    assert all(live.wait(20) for live in lives), "both streams live"
    followers = [t for t in threading.enumerate() if t.name == "api-feed"]
    assert len(followers) == 1  # one Kafka follower for both clients
    producer = make_producer()
    sent = [_sample(sat, i) for i in range(3)]
    for sample in sent:
        produce_event(producer, TOPIC_TELEMETRY, telemetry_event(sample, str(uuid.uuid4())))
    assert producer.flush(15) == 0
    began = time.monotonic()
    for t in threads:
        t.join(20)
    assert time.monotonic() - began < 20
    for out in outs:
        assert out[0].startswith("text/event-stream")
        events = [e for e in out[1:] if e.get("event") == "telemetry"]
        assert [json.loads(e["data"]) for e in events] == [s.to_json_dict() for s in sent]
        assert [e["id"] for e in events] == [format_time(s.timestamp) for s in sent]
