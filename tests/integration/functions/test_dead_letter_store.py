"""dead-letter-store against the real Kafka, dispatcher and PostgreSQL.

Two dispatchers in this process, as the stack runs them: one delivers a fresh topic to
a subscriber that refuses some events (so the dispatcher dead-letters those, and the
records that never were CloudEvents, to ``<topic>.dlq``); the other is the
dead-letter-store's KafkaSource over that ``.dlq`` topic, delivering to the real
function. Every dead letter must end up as one row with its reason, and stay one row
when it is delivered again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest

from satmon.contract.events import dlq_topic
from satmon.eventing.manifests import HttpSink
from satmon.settings import Settings
from satmon.store import migrate
from tests.integration.eventing.support import (
    Request,
    Sink,
    fresh_topic,
    http_sink,
    produce,
    produce_raw,
    running,
    subscription,
    wait_for,
)
from tests.integration.functions.ingress_support import function_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store_url(kafka_bootstrap: str, settings: Settings) -> Iterator[str]:
    with psycopg.connect(settings.pg_dsn, autocommit=True) as conn:
        migrate(conn)  # the table exists before the first dead letter reaches the function
    with function_server("dead-letter-store", "store_dead_letter") as port:
        yield f"http://127.0.0.1:{port}"


def rows(settings: Settings, topic: str) -> list[dict]:
    with psycopg.connect(settings.pg_dsn, autocommit=True) as conn:
        cur = conn.execute(
            "SELECT event_id, source, event_type, reason, error_code, attempts, body,"
            " body_encoding FROM dead_letters WHERE original_topic = %s ORDER BY event_id",
            (topic,),
        )
        keys = [c.name for c in cur.description]
        return [dict(zip(keys, r, strict=True)) for r in cur.fetchall()]


def refuse_bad(req: Request) -> tuple[int, dict[str, str], bytes]:
    if any(i.startswith("bad") for i in req.ids):
        problem = {"status": 400, "field": "data.n", "detail": "data.n: not a number"}
        return 400, {"Content-Type": "application/problem+json"}, json.dumps(problem).encode()
    return 200, {}, b""


def test_every_dead_letter_becomes_one_row_with_its_reason(settings, store_url, pg) -> None:
    topic = fresh_topic()
    run = uuid.uuid4().hex[:8]  # (source, id) is the row's key, across topics and runs
    bad, p2, p3 = f"bad-{run}", f"p2-{run}", f"p3-{run}"
    produce(topic, [f"good-{run}", bad])
    ce = [("ce_source", b"/y"), ("ce_type", b"x"), ("ce_specversion", b"1.0")]
    produce_raw(topic, b'{"n": 1}', ce)  # no id
    json_type = ("content-type", b"application/json")
    produce_raw(topic, b"{not json", [("ce_id", p2.encode()), *ce, json_type])
    produce_raw(topic, b'{"n": 3}', [("ce_id", p3.encode()), *ce, ("ce_note", b"caf\xe9")])
    with http_sink(Sink(respond=refuse_bad)) as sink:
        failing = subscription(topic, sink, ordered=True)
        store = replace(
            subscription(dlq_topic(topic), sink),
            name="dead-letter-store",
            sink=HttpSink(store_url, "dead-letter-store"),
            wrap_invalid=True,
            batch_max_events=50,
        )
        with running(failing), running(store):
            wait_for(lambda: len(rows(settings, topic)) == 4, 30, "four dead-letter rows")
    stored = {r["event_id"]: r for r in rows(settings, topic)}
    [wrapped_id] = [i for i in stored if i.startswith("partition:0/offset:")]
    assert set(stored) == {bad, p2, p3, wrapped_id}
    refused = stored[bad]
    assert (refused["error_code"], refused["attempts"]) == (400, 1)
    assert "data.n: not a number" in refused["reason"]
    assert json.loads(refused["body"])["id"] == bad
    no_id = stored[wrapped_id]  # named by its own offset on the .dlq topic
    assert no_id["source"].endswith(f"/kafkasources/dead-letter-store#{dlq_topic(topic)}")
    assert "missing CloudEvent attribute 'id'" in no_id["reason"] and no_id["attempts"] == 0
    assert "not valid JSON" in stored[p2]["reason"]
    assert stored[p2]["body"] == "{not json"
    assert "not valid UTF-8" in stored[p3]["reason"]

    again = replace(store, group=f"again-{uuid.uuid4().hex[:8]}")  # every dead letter once more
    with running(again) as dispatcher:
        delivered = lambda: dispatcher.stats()[again.name].delivered  # noqa: E731
        wait_for(lambda: delivered() >= 4, 30, "the dead letters delivered again")
    assert len(rows(settings, topic)) == 4
