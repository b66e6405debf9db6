"""ingress as an integrator meets it (issue 15): the real server, the real Kafka and
VictoriaMetrics, and requests with exactly the bytes the Go CloudEvents SDK sends.

- an event Kafka cannot take is a 413 problem naming the limit, never a 500 page;
- a refused batch leaves nothing behind (no event on Kafka, no sample stored);
- header values arrive downstream as the client meant them, in both modes;
- every error is application/problem+json, those of the HTTP server included;
- the CloudEvents webhook handshake.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from confluent_kafka.admin import ConfigResource, ResourceType

from satmon.clients.kafka import make_admin
from satmon.clients.kafka_limits import broker_side_max
from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import TOPIC_REQUESTS, TOPIC_TELEMETRY
from tests.integration.functions.ingress_support import (
    binary_headers,
    collect,
    go_request,
    ingress_server,
    send,
    token_header,
)
from tests.integration.kafka_reading import consumer_at_end
from tests.samples import telemetry_at

pytestmark = pytest.mark.integration

ALLOWED_ORIGIN = "sender.example.com"
STRUCTURED = (b"Content-Type", b"application/cloudevents+json")
BATCH = (b"Content-Type", b"application/cloudevents-batch+json")
LIBRDKAFKA_MESSAGE_MAX_BYTES = 1_000_000
"""librdkafka's default producer ``message.max.bytes`` (the ingress producer keeps it)."""


@pytest.fixture(scope="module")
def port(kafka_bootstrap: str) -> Iterator[int]:
    with ingress_server({"SATMON_INGRESS_WEBHOOK_ALLOWED_ORIGINS": ALLOWED_ORIGIN}) as p:
        yield p


def kafka_record_limit() -> int:
    """What Kafka takes here, read from the broker: the smaller of the producer's
    message.max.bytes and the topics' max.message.bytes less the batch framing."""
    admin = make_admin()
    resources = [ConfigResource(ResourceType.TOPIC, t) for t in (TOPIC_TELEMETRY, TOPIC_REQUESTS)]
    topic_max = min(
        int(future.result()["max.message.bytes"].value)
        for future in admin.describe_configs(resources).values()
    )
    return min(LIBRDKAFKA_MESSAGE_MAX_BYTES, broker_side_max(topic_max))


def structured(sat: str, moment: datetime, event_id: str | None = None, **extensions) -> dict:
    return {
        "specversion": "1.0",
        "id": event_id or uuid.uuid4().hex,
        "source": f"/satellites/{sat}",
        "type": "io.satmon.telemetry.v1",
        "datacontenttype": "application/json",
        "data": telemetry_at(sat, moment),
        **extensions,
    }


def new_satellite() -> tuple[str, datetime]:
    return f"TEST-{uuid.uuid4().hex[:8]}", datetime.now(UTC).replace(microsecond=0)


def stored_samples(vm: VictoriaMetrics, sat: str, since: datetime) -> int:
    vm.flush_search_cache()
    series = vm.export(f'{{satellite_id="{sat}"}}', start=since.timestamp() - 3600)
    return sum(len(s.values) for s in series)


def wait_for_samples(vm: VictoriaMetrics, sat: str, since: datetime, count: int) -> int:
    deadline = time.monotonic() + 20
    while (got := stored_samples(vm, sat, since)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


# --- 1. an event Kafka cannot take --------------------------------------------------------


def test_an_event_over_the_kafka_limit_is_413_naming_it(port: int) -> None:
    limit = kafka_record_limit()
    sat, moment = new_satellite()
    consumer = consumer_at_end(TOPIC_TELEMETRY)
    try:
        small = structured(sat, moment, padding="x" * 990_000)
        big = structured(sat, moment + timedelta(seconds=1), padding="x" * 1_000_000)
        ok = send(port, go_request(port, [token_header(), STRUCTURED], json.dumps(small).encode()))
        refused = send(
            port, go_request(port, [token_header(), STRUCTURED], json.dumps(big).encode())
        )
        arrived = collect(consumer, {small["id"], big["id"]})
    finally:
        consumer.close()
    assert ok.status == 202, ok.body
    assert refused.status == 413, refused.body[:300]
    assert refused.content_type == "application/problem+json"
    problem = refused.json()
    assert problem["limit_bytes"] == limit
    assert f"{limit:,}" in problem["detail"]
    assert set(arrived) == {small["id"]}


def test_a_header_kafka_cannot_take_is_413_too(port: int) -> None:
    """Binary mode: the attributes travel as Kafka headers and count towards the limit."""
    sat, moment = new_satellite()
    headers = binary_headers(uuid.uuid4().hex, f"/satellites/{sat}", padding=b"x" * 7000)
    body = json.dumps(telemetry_at(sat, moment)).encode()
    assert send(port, go_request(port, headers, body)).status == 202
    headers = binary_headers(uuid.uuid4().hex, f"/satellites/{sat}", padding=b"x" * 9000)
    answer = send(port, go_request(port, headers, body))
    assert answer.status == 431
    assert answer.content_type == "application/problem+json"
    assert "structured mode" in answer.json()["detail"]


# --- 2. batches are all or nothing ---------------------------------------------------------


def test_a_refused_batch_leaves_nothing_behind(port: int, vm: VictoriaMetrics) -> None:
    sat, start = new_satellite()
    batch = [structured(sat, start - timedelta(seconds=60 - i)) for i in range(10)]
    batch[3]["padding"] = "x" * 1_500_000
    consumer = consumer_at_end(TOPIC_TELEMETRY)
    try:
        answer = send(port, go_request(port, [token_header(), BATCH], json.dumps(batch).encode()))
        after = structured(sat, start)
        control = send(
            port, go_request(port, [token_header(), STRUCTURED], json.dumps(after).encode())
        )
        arrived = collect(consumer, {e["id"] for e in batch} | {after["id"]})
    finally:
        consumer.close()
    assert answer.status == 413, answer.body[:300]
    assert answer.content_type == "application/problem+json"
    assert answer.json()["limit_bytes"] == kafka_record_limit()
    assert control.status == 202
    assert set(arrived) == {after["id"]}
    assert wait_for_samples(vm, sat, start, 7) == 7  # the control event's seven, nothing else
    del batch[3]["padding"]
    resent = send(port, go_request(port, [token_header(), BATCH], json.dumps(batch).encode()))
    assert (resent.status, resent.json()) == (202, {"accepted": 10, "duplicates": 0})
    assert wait_for_samples(vm, sat, start, 77) == 77


# --- 3. header values as the client meant them ---------------------------------------------

MEANT = "héllo wörld ✓"


def test_header_values_arrive_as_meant_in_both_modes(port: int) -> None:
    sat, moment = new_satellite()
    raw_id, encoded_id, structured_id = (uuid.uuid4().hex for _ in range(3))
    body = json.dumps(telemetry_at(sat, moment)).encode()
    source = f"/satellites/{sat}"
    raw = binary_headers(raw_id, source, comment=MEANT.encode())  # sdk-go: raw UTF-8
    percent = binary_headers(encoded_id, source, comment=b"h%C3%A9llo%20w%c3%b6rld%20%E2%9C%93")
    event = structured(sat, moment, structured_id, comment=MEANT)
    consumer = consumer_at_end(TOPIC_TELEMETRY)
    try:
        answers = [
            send(port, go_request(port, raw, body)),
            send(port, go_request(port, percent, body)),
            send(port, go_request(port, [token_header(), STRUCTURED], json.dumps(event).encode())),
        ]
        arrived = collect(consumer, {raw_id, encoded_id, structured_id})
    finally:
        consumer.close()
    assert [a.status for a in answers] == [202, 202, 202]
    comments = {event_id: events[0]["comment"] for event_id, events in arrived.items()}
    assert comments == {raw_id: MEANT, encoded_id: MEANT, structured_id: MEANT}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (b"caf\xe9", "percent-encode"),  # Latin-1, as Python's http.client writes 'é'
        (b"caf%E9", "not valid UTF-8"),
        (b"bell%07", "control character"),
    ],
)
def test_header_values_that_are_not_utf8_text_are_400(port: int, value: bytes, says: str) -> None:
    sat, moment = new_satellite()
    headers = binary_headers(uuid.uuid4().hex, f"/satellites/{sat}", comment=value)
    answer = send(port, go_request(port, headers, json.dumps(telemetry_at(sat, moment)).encode()))
    assert answer.status == 400
    assert answer.content_type == "application/problem+json"
    problem = answer.json()
    assert problem["field"] == "ce-comment"
    assert says in problem["detail"]


# --- 4. every error is a problem -----------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nCe-Comment: \x01\r\nContent-Length: 0\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 401),
        (b"POST / HTTP/1.1\r\nHost: x\r\nCe-Id: a\r\nCe-Id: b\r\nContent-Length: 0\r\n\r\n", 400),
    ],
)
def test_every_error_is_problem_json(port: int, request_bytes: bytes, status: int) -> None:
    answer = send(port, request_bytes)
    assert answer.status == status
    assert answer.content_type == "application/problem+json"
    assert answer.json()["status"] == status


# --- 5. the webhook handshake --------------------------------------------------------------


def test_webhook_handshake_grants_allowed_origins_only(port: int) -> None:
    asked = [
        (b"WebHook-Request-Origin", ALLOWED_ORIGIN.encode()),
        (b"WebHook-Request-Rate", b"120"),
    ]
    granted = send(port, go_request(port, asked, b"", method=b"OPTIONS"))
    assert granted.status == 200
    assert granted.headers["webhook-allowed-origin"] == ALLOWED_ORIGIN
    assert granted.headers["webhook-allowed-rate"]
    assert "POST" in granted.headers["allow"]
    other = [(b"WebHook-Request-Origin", b"intruder.example.org")]
    refused = send(port, go_request(port, other, b"", method=b"OPTIONS"))
    assert refused.status == 403
    assert "webhook-allowed-origin" not in refused.headers
    assert refused.content_type == "application/problem+json"
