"""ingress against the real Kafka and PostgreSQL: 202 only once Kafka has the event,
duplicates (even after a restart) are a 200 no-op."""

from __future__ import annotations

import json
import uuid

import pytest
from functions_framework import create_app

from satmon.contract.events import TOPIC_TELEMETRY
from satmon.fnhost import clients
from satmon.settings import REPO_ROOT, get_settings
from tests.integration.functions.ingress_support import collect
from tests.integration.kafka_reading import consumer_at_end
from tests.samples import telemetry_at

pytestmark = pytest.mark.integration

SOURCE = str(REPO_ROOT / "functions" / "ingress" / "main.py")


def fresh_client():
    """A new process, as far as the function is concerned: its memory LRU starts empty."""
    main_clients = [clients.producer, clients.db_pool]
    for get in main_clients:
        get.reset()  # type: ignore[attr-defined]
    return create_app("ingest_cloudevent", SOURCE, "http").test_client()


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
        response = client.post(
            "/", headers=headers, data=json.dumps(telemetry_at(sat, "2026-11-28T10:00:00.000Z"))
        )
        assert response.status_code == 202, response.data
        assert (
            client.post(
                "/", headers=headers, data=json.dumps(telemetry_at(sat, "2026-11-28T10:00:00.000Z"))
            ).status_code
            == 200
        )
        restarted = fresh_client()
        again = restarted.post(
            "/", headers=headers, data=json.dumps(telemetry_at(sat, "2026-11-28T10:00:00.000Z"))
        )
        assert (again.status_code, again.json["duplicates"]) == (200, 1)
        found = collect(consumer, {event_id}, seconds=4.0, whole_window=True)
    finally:
        consumer.close()
    assert len(found[event_id]) == 1
    [event] = found[event_id]
    assert event["partitionkey"] == sat
    assert event["source"] == f"/satellites/{sat}"
    assert event.get_data()["satellite_id"] == sat
    pg.rollback()
    assert pg.execute(
        "SELECT count(*) FROM ingress_dedupe WHERE source = %s AND event_id = %s",
        (f"/satellites/{sat}", event_id),
    ).fetchone() == (1,)
