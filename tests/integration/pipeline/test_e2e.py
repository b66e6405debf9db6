"""End to end on the live stack of `satmon up`: Kafka → dispatcher → functions → stores.

These tests drive the running system only through its public doors (Kafka topics,
VictoriaMetrics, PostgreSQL, the launcher) and assert what an operator would see.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from cloudevents.http import CloudEvent

from satmon.clients.kafka import make_producer, produce_event
from satmon.clients.vm import VictoriaMetrics, metric_selector
from satmon.contract.events import (
    TOPIC_REQUESTS,
    TOPIC_TELEMETRY,
    TYPE_FORECAST_REQUESTED,
    Telemetry,
    dlq_topic,
    make_event,
    telemetry_event,
)
from satmon.settings import get_settings
from satmon.stack.launcher import Launcher
from tests.integration.kafka_reading import consumer_at_end

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _telemetry(sat: str, at: datetime, i: int) -> Telemetry:
    return Telemetry(
        satellite_id=sat,
        timestamp=at,
        temperature=10.0 + (i % 7),
        altitude=420.0 + (i % 11) * 0.5,
        velocity=7.66,
        battery=3.6 + (i % 5) * 0.01,
        solar_power=float(i % 100),
        latitude=(i % 100) * 0.5,
        longitude=-170.0 + (i % 300),
    )


def _send(events: list[CloudEvent], topic: str = TOPIC_TELEMETRY) -> None:
    producer = make_producer()
    for event in events:
        produce_event(producer, topic, event)
    assert producer.flush(15) == 0


def _wait(check: Callable[[], Any], limit_s: float, what: str, every_s: float = 0.05) -> Any:
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        result = check()
        if result:
            return result
        time.sleep(every_s)
    raise AssertionError(f"{what}: not seen within {limit_s}s")


def _count(vm: VictoriaMetrics, metric: str, sat: str, since: datetime) -> list[int]:
    series = vm.export(metric_selector(metric, sat), start=since.timestamp() - 1)
    return series[0].timestamps if series else []


@pytest.fixture
def satellite() -> str:
    return f"E2E-{uuid.uuid4().hex[:8]}"


def _warm(vm: VictoriaMetrics, sat: str) -> datetime:
    """Register the satellite's series first: an operator watches satellites that have
    been reporting, and VictoriaMetrics takes a few seconds to index a brand-new series."""
    start = datetime.now(UTC) - timedelta(minutes=10)
    _send([telemetry_event(_telemetry(sat, start, 0))])
    _wait(lambda: _count(vm, "battery", sat, start), 30, "first sample of a new satellite", 0.5)
    return start


def test_telemetry_is_queryable_within_two_seconds(vm: VictoriaMetrics, satellite: str) -> None:
    _warm(vm, satellite)
    latencies = []
    for i in range(1, 6):
        now = datetime.now(UTC)
        sample = _telemetry(satellite, now, i).model_copy(update={"battery": 3.0 + i / 8})
        sent = time.monotonic()
        _send([telemetry_event(sample)])

        def visible(value: float = sample.battery) -> bool:
            result = vm.query(f"last_over_time({metric_selector('battery', satellite)}[1m])")
            return bool(result) and float(result[0]["value"][1]) == value

        _wait(visible, 2.0, f"sample {i} in VictoriaMetrics")
        latencies.append(time.monotonic() - sent)
    assert max(latencies) < 2.0


def test_poison_event_is_dead_lettered_and_the_partition_moves_on(
    vm: VictoriaMetrics, satellite: str
) -> None:
    start = _warm(vm, satellite)
    dlq = dlq_topic(TOPIC_TELEMETRY)
    consumer = consumer_at_end(dlq)
    poison = CloudEvent(
        {
            "id": f"poison-{uuid.uuid4().hex[:6]}",
            "source": f"/satellites/{satellite}",
            "type": "io.satmon.telemetry.v1",
            "partitionkey": satellite,
            "datacontenttype": "application/json",
        },
        {"satellite_id": satellite, "timestamp": "2026-11-28T10:00:00Z", "battery": "flat"},
    )
    after = [
        telemetry_event(_telemetry(satellite, start + timedelta(seconds=s), s)) for s in (1, 2)
    ]
    _send([poison, *after])  # same key → same partition, poison first

    _wait(lambda: len(_count(vm, "battery", satellite, start)) == 3, 15, "events after the poison")
    record = _find(consumer, lambda h: h.get("ce_id") == poison["id"].encode(), 20)
    headers = dict(record.headers())
    assert headers["ce_knativeerrorcode"] == b"400"
    assert headers["ce_knativeerrordest"] == b"http://127.0.0.1:8082"  # the telemetry-writer
    reason = json.loads(base64.b64decode(headers["ce_knativeerrordata"]))  # Knative: base64
    assert reason["status"] == 400 and reason["field"].startswith("data.")
    assert json.loads(record.value()) == poison.data  # the original payload, untouched


def test_forecast_request_completes_with_ten_predictions(
    vm: VictoriaMetrics, pg: psycopg.Connection, satellite: str
) -> None:
    now = datetime.now(UTC)
    history = [_telemetry(satellite, now - timedelta(seconds=40 - i), i) for i in range(40)]
    vm.write_telemetry(history)
    _wait(lambda: len(_count(vm, "temperature", satellite, now - timedelta(minutes=1))) == 40,
          30, "history in VictoriaMetrics", 0.5)  # fmt: skip
    job_id = f"job-{uuid.uuid4().hex[:10]}"
    request = make_event(
        TYPE_FORECAST_REQUESTED,
        "/tests/e2e",
        {"job_id": job_id, "satellite_id": satellite, "metric": "temperature",
         "model": "transformer_timeseries"},
        key=satellite,
    )  # fmt: skip
    _send([request], topic=TOPIC_REQUESTS)

    def completed() -> tuple[Any, ...] | None:
        pg.rollback()
        return pg.execute(
            "SELECT predictions, prediction_timestamps, input_window, started_at, completed_at,"
            " error FROM inference_results WHERE job_id = %s AND status = 'completed'",
            (job_id,),
        ).fetchone()

    predictions, times, window, started, finished, error = _wait(
        completed, 60, "completed forecast row", 0.5
    )
    assert error is None
    assert len(predictions) == 10 and all(p == p for p in predictions)  # no NaN
    assert len(times) == 10 and times == sorted(times) and times[0] > history[-1].timestamp
    assert window == [s.temperature for s in history[-20:]]
    assert started <= finished


def _find(consumer: Any, match: Callable[[dict[str, bytes]], bool], limit_s: float) -> Any:
    began = time.monotonic()
    try:
        while time.monotonic() - began < limit_s:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            if match(dict(msg.headers() or [])):
                return msg
        raise AssertionError(f"no matching record within {limit_s}s")
    finally:
        consumer.close()


def test_victoriametrics_outage_loses_nothing(vm: VictoriaMetrics, satellite: str) -> None:
    """VictoriaMetrics stopped for 30 s mid-stream: once it is back every sample is
    there, none twice (the dispatcher retries; offsets wait for the writes)."""
    settings = get_settings()
    launcher = Launcher(settings)
    start = _warm(vm, satellite)
    sent: list[Telemetry] = []

    def send_block(first: int, n: int) -> None:
        block = [
            _telemetry(satellite, start + timedelta(seconds=i), i) for i in range(first, first + n)
        ]
        _send([telemetry_event(s) for s in block])
        sent.extend(block)

    send_block(1, 50)
    assert launcher.stop(["victoriametrics"]) == ["victoriametrics"]
    try:
        for k in range(6):  # 30 s of telemetry while VictoriaMetrics is down
            send_block(51 + k * 50, 50)
            time.sleep(5)
    finally:
        launcher.up(["victoriametrics"])
    send_block(351, 50)
    expected = sorted([int(start.timestamp() * 1000), *(s.timestamp_ms for s in sent)])

    def all_there() -> bool:
        return _count(vm, "battery", satellite, start) == expected

    _wait(all_there, 120, f"{len(expected)} samples after the outage", 1.0)
    for metric in ("temperature", "longitude"):
        assert _count(vm, metric, satellite, start) == expected


def test_duplicate_injection_creates_no_duplicates(
    vm: VictoriaMetrics, pg: psycopg.Connection, satellite: str
) -> None:
    """With the dispatcher redelivering half the events, samples and rows stay unique.
    One dispatcher with every subscription replaces the stack's two for the test."""
    settings = get_settings()
    launcher = Launcher(settings)
    launcher.stop(["dispatcher", "forecast-dispatcher"])
    noisy_log = (settings.logs_dir / "dispatcher-duplicates-test.log").open("wb")
    noisy = subprocess.Popen(
        [sys.executable, "-m", "satmon", "eventing", "dispatch", "--duplicate-rate", "0.5",
         "--no-pings", "--manifests", str(settings.repo_root / "eventing")],
        stdout=noisy_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        start = datetime.now(UTC) - timedelta(minutes=5)
        samples = [_telemetry(satellite, start + timedelta(seconds=i), i) for i in range(200)]
        _send([telemetry_event(s) for s in samples])
        expected = [s.timestamp_ms for s in samples]
        _wait(lambda: _count(vm, "altitude", satellite, start) == expected, 60,
              "200 samples, each once", 0.5)  # fmt: skip
        jobs = [f"dup-{uuid.uuid4().hex[:10]}" for _ in range(5)]
        _send(
            [
                make_event(TYPE_FORECAST_REQUESTED, "/tests/e2e",
                           {"job_id": j, "satellite_id": satellite, "metric": "altitude",
                            "model": "vae_timeseries"}, key=satellite)
                for j in jobs
            ],
            topic=TOPIC_REQUESTS,
        )  # fmt: skip

        def finished() -> bool:
            pg.rollback()
            row = pg.execute(
                "SELECT count(*), count(DISTINCT job_id) FROM inference_results"
                " WHERE job_id = ANY(%s) AND status IN ('completed', 'failed')",
                (jobs,),
            ).fetchone()
            return row == (5, 5)

        _wait(finished, 90, "5 forecast jobs finished once each", 0.5)
        time.sleep(2)  # let late duplicates land
        assert _count(vm, "altitude", satellite, start) == expected
    finally:
        # a graceful stop lets in-flight deliveries end (each attempt may take up to its
        # timeout), commits and leaves the groups; the live dispatcher comes back anyway
        noisy.terminate()
        try:
            noisy.wait(90)
        except subprocess.TimeoutExpired:
            noisy.kill()
            noisy.wait(10)
        noisy_log.close()
        launcher.up(["dispatcher", "forecast-dispatcher"])
    assert noisy.returncode == 0, "the dispatcher did not stop cleanly on SIGTERM"


def test_a_dead_lettered_request_shows_as_a_failed_job(
    pg: psycopg.Connection, satellite: str
) -> None:
    """A forecast request that ended in inference.requests.dlq is a failed job with the
    dispatcher's reason, not a job queued for ever."""
    job_id = f"dlq-{uuid.uuid4().hex[:10]}"
    request = make_event(
        TYPE_FORECAST_REQUESTED,
        "/tests/e2e",
        {"job_id": job_id, "satellite_id": satellite, "metric": "battery", "model": "vae"},
        key=satellite,
    )
    request["knativeerrordest"] = "http://127.0.0.1:8083"
    request["knativeerrorcode"] = "503"
    request["satmonreason"] = "retries exhausted: HTTP 503 after 7 attempt(s)"
    _send([request], topic=dlq_topic(TOPIC_REQUESTS))

    def failed() -> tuple[Any, ...] | None:
        pg.rollback()
        return pg.execute(
            "SELECT status, error FROM inference_results WHERE job_id = %s", (job_id,)
        ).fetchone()

    status, error = _wait(failed, 30, "the dead-lettered job's row", 0.5)
    assert status == "failed"
    assert "retries exhausted: HTTP 503" in error
