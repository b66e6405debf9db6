"""ingress against the real Kafka and PostgreSQL: 202 only once Kafka has the event,
duplicates (even after a restart) are a 200 no-op."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from confluent_kafka import TopicPartition
from functions_framework import create_app

from satmon.clients.kafka import make_consumer
from satmon.contract.events import TOPIC_TELEMETRY, from_kafka
from satmon.fnhost import clients
from satmon.settings import REPO_ROOT, get_settings

pytestmark = pytest.mark.integration

SOURCE = str(REPO_ROOT / "functions" / "ingress" / "main.py")


def fresh_client():
    """A new process, as far as the function is concerned: its memory LRU starts empty."""
    main_clients = [clients.producer, clients.db_pool]
    for get in main_clients:
        get.reset()  # type: ignore[attr-defined]
    return create_app("ingest_cloudevent", SOURCE, "http").test_client()


def telemetry(sat: str) -> dict:
    return {
        "satellite_id": sat,
        "timestamp": "2026-11-28T10:00:00.000Z",
        "temperature": 1.0,
        "altitude": 420.0,
        "velocity": 7.7,
        "battery": 3.9,
        "solar_power": 50.0,
        "latitude": 10.0,
        "longitude": 20.0,
    }


def consumer_at_end(topic: str):
    consumer = make_consumer(f"test-{uuid.uuid4().hex}")
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    parts = []
    for p in meta.partitions:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        parts.append(TopicPartition(topic, p, high))
    consumer.assign(parts)
    return consumer


def find(consumer, event_id: str, seconds: float = 8.0) -> list:
    """Records carrying ``event_id`` that arrive within ``seconds``."""
    found = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for msg in consumer.consume(num_messages=1000, timeout=0.25):
            if msg.error():
                continue
            event = from_kafka(msg.topic(), msg.key(), msg.value(), msg.headers())
            if event["id"] == event_id:
                found.append((msg.key(), event))
    return found


def test_binary_event_lands_on_kafka_once(kafka_bootstrap, pg) -> None:
    sat = f"TEST-{uuid.uuid4().hex[:6]}"
    event_id = uuid.uuid4().hex
    headers = {
        "Authorization": f"Bearer {get_settings().api_token}",
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-source": f"/satellites/{sat}",
        "ce-type": "io.satmon.telemetry.v1",
        "Content-Type": "application/json",
    }
    consumer = consumer_at_end(TOPIC_TELEMETRY)
    try:
        client = fresh_client()
        response = client.post("/", headers=headers, data=json.dumps(telemetry(sat)))
        assert response.status_code == 202, response.data
        assert client.post("/", headers=headers, data=json.dumps(telemetry(sat))).status_code == 200
        restarted = fresh_client()
        again = restarted.post("/", headers=headers, data=json.dumps(telemetry(sat)))
        assert (again.status_code, again.json["duplicates"]) == (200, 1)
        found = find(consumer, event_id)
    finally:
        consumer.close()
    assert len(found) == 1
    key, event = found[0]
    assert key == sat.encode()
    assert event["source"] == f"/satellites/{sat}"
    assert event.get_data()["satellite_id"] == sat
    pg.rollback()
    assert pg.execute(
        "SELECT count(*) FROM ingress_dedupe WHERE source = %s AND event_id = %s",
        (f"/satellites/{sat}", event_id),
    ).fetchone() == (1,)
