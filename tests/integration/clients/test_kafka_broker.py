"""Produce and consume through the real Kafka broker with CloudEvent headers intact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from confluent_kafka import TopicPartition

from satmon.clients.kafka import (
    ensure_topics,
    make_admin,
    make_consumer,
    make_producer,
    produce_event,
)
from satmon.contract.events import (
    TOPIC_TELEMETRY,
    TYPE_TELEMETRY,
    Telemetry,
    all_topics,
    from_kafka,
    telemetry_event,
)

pytestmark = pytest.mark.integration


def _sample(sat: str) -> Telemetry:
    return Telemetry(
        satellite_id=sat,
        timestamp=datetime(2026, 11, 28, 10, 0, tzinfo=UTC),
        temperature=12.3,
        altitude=421.7,
        velocity=7.66,
        battery=3.91,
        solar_power=55.2,
        latitude=12.31,
        longitude=-45.62,
    )


def test_contract_topics_exist(kafka_bootstrap: str) -> None:
    topics = make_admin().list_topics(timeout=10).topics
    for name in all_topics():
        assert name in topics, f"{name} missing"
    assert len(topics[TOPIC_TELEMETRY].partitions) >= 1


def test_cloudevent_headers_survive_a_round_trip(kafka_bootstrap: str) -> None:
    topic = f"test-roundtrip-{uuid.uuid4().hex[:8]}"
    ensure_topics(make_admin(), [topic], partitions=1)
    sat = f"SAT-{uuid.uuid4().hex[:6]}"
    event = telemetry_event(_sample(sat), event_id="evt-42")
    producer = make_producer()
    produce_event(producer, topic, event)
    assert producer.flush(10) == 0

    consumer = make_consumer(f"test-{uuid.uuid4().hex}")
    consumer.assign([TopicPartition(topic, 0, 0)])
    try:
        msg = None
        for _ in range(50):
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                break
        assert msg is not None and msg.error() is None
        headers = dict(msg.headers())
        assert headers["ce_id"] == b"evt-42"
        assert headers["ce_type"] == TYPE_TELEMETRY.encode()
        assert headers["ce_source"] == f"/satellites/{sat}".encode()
        assert headers["ce_specversion"] == b"1.0"
        assert headers["content-type"] == b"application/json"
        assert msg.key() == sat.encode()
        back = from_kafka(topic, msg.key(), msg.value(), msg.headers())
        assert back["id"] == "evt-42"
        assert back["partitionkey"] == sat
        assert back.data["satellite_id"] == sat
        assert back.data["temperature"] == 12.3
        assert back.data["timestamp"] == "2026-11-28T10:00:00.000Z"
    finally:
        consumer.close()
        make_admin().delete_topics([topic])
