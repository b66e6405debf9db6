"""`satmon simulate` against the real Kafka broker: exact counts, keys and CloudEvents."""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka import Consumer, TopicPartition

from satmon.clients.kafka import ensure_topics, make_admin
from satmon.contract.events import TOPIC_TELEMETRY, TYPE_TELEMETRY, from_kafka, parse_telemetry
from satmon.settings import Settings
from satmon.simulator import generate
from satmon.simulator.producer import event_id

pytestmark = pytest.mark.integration
SATS = ["SAT-001", "SAT-002", "SAT-003"]


def _consumer(bootstrap: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-simulator-{uuid.uuid4()}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )


def _end_offsets(consumer: Consumer) -> dict[int, int]:
    meta = consumer.list_topics(TOPIC_TELEMETRY, timeout=10).topics[TOPIC_TELEMETRY]
    return {
        p: consumer.get_watermark_offsets(TopicPartition(TOPIC_TELEMETRY, p), timeout=10)[1]
        for p in meta.partitions
    }


def _read_from(consumer: Consumer, start: dict[int, int], timeout_s: float = 60.0) -> list:
    """Every record written after ``start`` up to the current end of each partition."""
    end = _end_offsets(consumer)
    consumer.assign([TopicPartition(TOPIC_TELEMETRY, p, o) for p, o in start.items()])
    position = dict(start)
    records = []
    deadline = time.monotonic() + timeout_s
    while any(position[p] < end[p] for p in end) and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        assert msg.error() is None, msg.error()
        records.append(msg)
        position[msg.partition()] = msg.offset() + 1
    assert all(position[p] >= end[p] for p in end), f"read {position}, end {end}"
    return records


def _simulate(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "satmon", "simulate", "--bootstrap", bootstrap, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def consumer(kafka_bootstrap: str, settings: Settings):
    ensure_topics(make_admin(settings), [TOPIC_TELEMETRY])
    c = _consumer(kafka_bootstrap)
    yield c
    c.close()


def test_simulate_count_puts_exactly_that_many_cloudevents_on_the_topic(
    consumer: Consumer, kafka_bootstrap: str
) -> None:
    # a past window of our own, so nothing paces and nobody else's samples fall inside it
    start = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(seconds=random.randrange(10**7))
    before = _end_offsets(consumer)
    run = _simulate(
        kafka_bootstrap, "-n", "3", "--count", "30", "--seed", "17", "--start", start.isoformat()
    )
    assert run.returncode == 0, run.stderr
    assert "30 events delivered" in run.stderr

    ours = []
    for msg in _read_from(consumer, before):
        event = from_kafka(msg.topic(), msg.key(), msg.value(), msg.headers())
        sample = parse_telemetry(event.data)
        if start <= sample.timestamp < start + timedelta(seconds=10):
            ours.append((msg.key(), event, sample))
    assert len(ours) == 30
    expected = list(generate(3, 1.0, start, count=30, seed=17))
    assert sorted(s.model_dump_json() for *_, s in ours) == sorted(
        s.model_dump_json() for s in expected
    )
    for key, event, sample in ours:
        assert key == sample.satellite_id.encode()
        assert event["type"] == TYPE_TELEMETRY
        assert event["source"] == f"/satellites/{sample.satellite_id}"
        assert event["id"] == event_id(sample)
    assert {key for key, *_ in ours} == {s.encode() for s in SATS}


@pytest.mark.parametrize(
    ("rate", "duration", "expected"),
    [("2", "3s", 18), pytest.param("1", "60s", 180, marks=pytest.mark.slow)],
)
def test_simulate_live_duration_sends_n_times_rate_times_seconds(
    consumer: Consumer, kafka_bootstrap: str, rate: str, duration: str, expected: int
) -> None:
    before = _end_offsets(consumer)
    started = time.time()
    run = _simulate(kafka_bootstrap, "-n", "3", "--rate", rate, "--duration", duration)
    took = time.time() - started
    assert run.returncode == 0, run.stderr
    assert f"{expected} events delivered" in run.stderr
    ticks = expected // 3
    assert took >= (ticks - 1) / float(rate) - 1.0  # paced to the wall clock

    window = (
        datetime.fromtimestamp(int(started) - 1, UTC),
        datetime.fromtimestamp(time.time(), UTC),
    )
    ours = []
    for msg in _read_from(consumer, before):
        value = json.loads(msg.value())
        stamp = datetime.fromisoformat(value["timestamp"])
        if window[0] <= stamp <= window[1]:
            event = from_kafka(msg.topic(), msg.key(), msg.value(), msg.headers())
            assert event["type"] == TYPE_TELEMETRY
            assert parse_telemetry(event.data).satellite_id == msg.key().decode()
            ours.append((msg.key(), stamp))
    assert len(ours) == expected, "another simulator writing live at the same time breaks this"
    assert sorted({key for key, _ in ours}) == [s.encode() for s in SATS]
    stamps = sorted({stamp for _, stamp in ours})
    assert len(stamps) == ticks
    step = timedelta(seconds=1 / float(rate))
    assert all(b - a == step for a, b in itertools.pairwise(stamps))
