"""Support for the dispatcher integration tests (no tests here): HTTP sink, Kafka helpers."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from confluent_kafka import TopicPartition

from satmon.clients.kafka import (
    ensure_topics,
    make_admin,
    make_consumer,
    make_producer,
    produce_event,
)
from satmon.contract.events import dlq_topic, make_event
from satmon.eventing.delivery import DeliveryPolicy
from satmon.eventing.dispatcher import Dispatcher
from satmon.eventing.topology import HttpSink, Subscription

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    at: float
    headers: dict[str, str]
    body: bytes

    @property
    def events(self) -> list[dict[str, Any]]:
        """The structured events of a batch, or one pseudo-event from binary headers."""
        if self.headers.get("content-type", "").startswith("application/cloudevents-batch"):
            return list(json.loads(self.body))
        attrs = {k[3:]: v for k, v in self.headers.items() if k.startswith("ce-")}
        return [{**attrs, "data": json.loads(self.body) if self.body else None}]

    @property
    def ids(self) -> list[str]:
        return [e["id"] for e in self.events]


@dataclass
class Sink:
    """A threaded HTTP server whose answers the test decides (default 200)."""

    respond: Callable[[Request], Reply] = lambda req: (200, {}, b"")
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def ids(self) -> list[str]:
        with self.lock:
            return [i for r in self.requests for i in r.ids]

    def attempts(self, event_id: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if event_id in r.ids]


@contextmanager
def http_sink(sink: Sink) -> Iterator[Sink]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            req = Request(time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body)
            with sink.lock:
                sink.requests.append(req)
                sink.in_flight += 1
                sink.max_in_flight = max(sink.max_in_flight, sink.in_flight)
            try:
                if sink.delay:
                    time.sleep(sink.delay)
                status, headers, answer = sink.respond(req)
            finally:
                with sink.lock:
                    sink.in_flight -= 1
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


def fresh_topic(partitions: int = 1) -> str:
    topic = f"test-dispatch-{uuid.uuid4().hex[:10]}"
    ensure_topics(make_admin(), [topic, dlq_topic(topic)], partitions=partitions)
    return topic


def subscription(topic: str, sink: Sink, **changes: Any) -> Subscription:
    base = Subscription(
        name=f"test-{topic}",
        kind="KafkaSource",
        topics=(topic,),
        group=f"group-{uuid.uuid4().hex[:10]}",
        sink=HttpSink(sink.url, "test-sink"),
        delivery=DeliveryPolicy(retry=2, backoff_policy="linear", backoff_delay=0.05, timeout=5.0),
        ordered=True,
    )
    return replace(base, **changes)


def produce(
    topic: str,
    ids: list[str],
    key: str | None = None,
    partition: int | None = None,
    event_type: str = "io.satmon.test.v1",
) -> None:
    producer = make_producer()
    for i, event_id in enumerate(ids):
        event = make_event(
            event_type, "/tests/dispatcher", {"n": i, "id": event_id}, key=key, event_id=event_id
        )
        kwargs = {} if partition is None else {"partition": partition}
        produce_event(producer, topic, event, **kwargs)
    assert producer.flush(10) == 0


def produce_raw(
    topic: str, value: bytes, headers: list[tuple[str, bytes]], partition: int = 0
) -> None:
    producer = make_producer()
    producer.produce(topic, value=value, headers=headers, partition=partition)
    assert producer.flush(10) == 0


@contextmanager
def running(*subs: Subscription, **options: Any) -> Iterator[Dispatcher]:
    dispatcher = Dispatcher(list(subs), **options)
    dispatcher.start()
    try:
        assert dispatcher.wait_ready(30), "dispatcher got no partitions within 30 s"
        yield dispatcher
    finally:
        dispatcher.stop.set()
        dispatcher.join(30)
    assert not dispatcher.failed, dispatcher.failed


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


def read_all(topic: str, expected: int, timeout: float = 15.0) -> list[Any]:
    """Every record of ``topic`` (fresh group, from the start) until ``expected`` are read."""
    consumer = make_consumer(f"reader-{uuid.uuid4().hex}")
    consumer.subscribe([topic])
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                out.append(msg)
        # linger briefly so that an unexpected extra record would show up
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            msg = consumer.poll(0.1)
            if msg is not None and msg.error() is None:
                out.append(msg)
    finally:
        consumer.close()
    return out


def committed(group: str, topic: str, partitions: int = 1) -> list[int]:
    """The committed offset of each partition; -1001 (librdkafka's "invalid") for a
    partition without a commit, e.g. one the producer happened to leave empty."""
    consumer = make_consumer(group)
    try:
        parts = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], 10)
    finally:
        consumer.close()
    return [tp.offset for tp in parts]


def committed_total(group: str, topic: str, partitions: int = 1) -> int:
    """Records committed over all partitions (partitions without a commit count 0)."""
    return sum(max(offset, 0) for offset in committed(group, topic, partitions))
