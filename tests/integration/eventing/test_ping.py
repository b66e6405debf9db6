"""The PingSource runner posts ticks to a Service sink and produces them to a Broker topic."""

from __future__ import annotations

import threading

import pytest

from satmon.clients.kafka import make_producer
from satmon.eventing.ping import PING_TYPE, PingRunner
from satmon.eventing.topology import HttpSink, PingSpec, TopicSink
from tests.integration.eventing.support import (
    Sink,
    fresh_topic,
    http_sink,
    read_all,
    wait_for,
)

pytestmark = pytest.mark.integration


def _spec(sink: HttpSink | TopicSink) -> PingSpec:
    return PingSpec(
        name="tick-test",
        namespace="satmon",
        schedule="@every 200ms",
        timezone=None,
        content_type="application/json",
        data=b'{"reason":"scheduled"}',
        sink=sink,
    )


def test_ticks_are_posted_to_a_service(kafka_bootstrap: str) -> None:
    stop = threading.Event()
    with http_sink(Sink()) as sink:
        runner = PingRunner(_spec(HttpSink(sink.url)), stop)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: len(sink.requests) >= 3, 10, "three ticks")
        finally:
            stop.set()
            thread.join(5)
        first = sink.requests[0]
        assert first.headers["ce-type"] == PING_TYPE
        assert first.headers["ce-source"] == "/apis/v1/namespaces/satmon/pingsources/tick-test"
        assert first.headers["content-type"] == "application/json"
        assert first.body == b'{"reason":"scheduled"}'
        gaps = [b.at - a.at for a, b in zip(sink.requests, sink.requests[1:], strict=False)]
        assert all(g >= 0.15 for g in gaps[:2])


def test_ticks_go_to_the_broker_topic(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    stop = threading.Event()
    runner = PingRunner(_spec(TopicSink(topic, "b")), stop, producer=make_producer())
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: runner.fired >= 2, 10, "two ticks")
    finally:
        stop.set()
        thread.join(5)
    records = read_all(topic, 2)
    headers = dict(records[0].headers())
    assert headers["ce_type"] == PING_TYPE.encode()
    assert headers["content-type"] == b"application/json"
    assert records[0].value() == b'{"reason":"scheduled"}'
