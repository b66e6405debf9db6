"""The dispatcher against real Kafka and a real HTTP sink: order, retries, DLQ, filters,
batches, duplicates and offsets."""

from __future__ import annotations

import base64
import itertools
import json
import time
from dataclasses import replace

import pytest

from satmon.contract.events import dlq_topic
from satmon.eventing.delivery import DeliveryPolicy
from satmon.eventing.filters import compile_filters
from tests.integration.eventing.support import (
    Request,
    Sink,
    committed,
    committed_total,
    fresh_topic,
    http_sink,
    produce,
    produce_raw,
    read_all,
    running,
    subscription,
    wait_for,
)

pytestmark = pytest.mark.integration


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-{i:03d}" for i in range(n)]


def test_ordered_delivers_one_at_a_time_in_offset_order(kafka_bootstrap: str) -> None:
    topic = fresh_topic(partitions=1)
    ids = _ids("ord", 12)
    produce(topic, ids)
    with http_sink(Sink(delay=0.02)) as sink:
        sub = subscription(topic, sink, ordered=True)
        with running(sub):
            wait_for(lambda: len(sink.ids()) >= len(ids), what="12 deliveries")
        assert sink.ids() == ids
        assert sink.max_in_flight == 1
    assert committed(sub.group, topic) == [len(ids)]


def test_unordered_delivers_concurrently_and_commits_correctly(kafka_bootstrap: str) -> None:
    topic = fresh_topic(partitions=1)
    ids = _ids("unord", 16)
    produce(topic, ids)
    with http_sink(Sink(delay=0.15)) as sink:
        sub = subscription(topic, sink, ordered=False, max_in_flight=4)
        started = time.monotonic()
        with running(sub):
            wait_for(lambda: len(sink.ids()) >= len(ids), what="16 deliveries")
            elapsed = time.monotonic() - started
            wait_for(lambda: committed(sub.group, topic) == [len(ids)], 5, "commit of 16")
        assert sorted(sink.ids()) == ids
        assert sink.max_in_flight > 1
        assert elapsed < 16 * 0.15  # faster than one at a time


def test_retries_with_backoff_then_success(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    ids = ["flaky", "after"]
    produce(topic, ids)
    answers = {"flaky": [500, 503, 200]}

    def respond(req: Request) -> tuple[int, dict[str, str], bytes]:
        queue = answers.get(req.ids[0])
        return (queue.pop(0) if queue else 200), {}, b"try later"

    with http_sink(Sink(respond=respond)) as sink:
        policy = DeliveryPolicy(retry=3, backoff_policy="linear", backoff_delay=0.2, timeout=5)
        sub = subscription(topic, sink, delivery=policy)
        with running(sub) as dispatcher:
            wait_for(lambda: "after" in sink.ids(), what="the event after the flaky one")
        tries = sink.attempts("flaky")
        assert len(tries) == 3
        gaps = [b.at - a.at for a, b in itertools.pairwise(tries)]
        assert gaps[0] >= 0.18 and gaps[1] >= 0.38  # linear: 0.2 s, then 0.4 s
        assert dispatcher.stats()[sub.name].retries == 2
    assert read_all(dlq_topic(topic), 0, timeout=1) == []


def test_retry_after_is_honoured_on_429(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    produce(topic, ["busy"])
    answers = [(429, {"Retry-After": "1"}, b"slow down"), (200, {}, b"")]
    with http_sink(Sink(respond=lambda req: answers.pop(0) if answers else (200, {}, b""))) as sink:
        policy = DeliveryPolicy(retry=2, backoff_delay=0.01, timeout=5)
        with running(subscription(topic, sink, delivery=policy)):
            wait_for(lambda: len(sink.attempts("busy")) >= 2, what="second attempt")
        first, second = sink.attempts("busy")[:2]
        assert second.at - first.at >= 0.95


def test_retries_exhausted_go_to_the_dlq_with_extensions(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    produce(topic, ["doomed", "fine"])

    def respond(req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.ids == ["doomed"]:
            return 500, {}, b'{"detail": "database down"}'
        return 200, {}, b""

    with http_sink(Sink(respond=respond)) as sink:
        policy = DeliveryPolicy(
            retry=2, backoff_policy="exponential", backoff_delay=0.02, timeout=5
        )
        sub = subscription(topic, sink, delivery=policy)
        with running(sub) as dispatcher:
            wait_for(lambda: "fine" in sink.ids(), what="delivery after the DLQ")
            wait_for(lambda: committed(sub.group, topic) == [2], 5, "commit past the DLQ")
        assert len(sink.attempts("doomed")) == 3  # retry: 2 → 3 attempts
        assert dispatcher.stats()[sub.name].dead_lettered == 1
    (dead,) = read_all(dlq_topic(topic), 1)
    headers = dict(dead.headers())
    assert headers["ce_id"] == b"doomed"
    assert headers["ce_type"] == b"io.satmon.test.v1"
    assert json.loads(dead.value()) == {"n": 0, "id": "doomed"}  # the original payload
    assert headers["ce_knativeerrordest"] == sink.url.encode()
    assert headers["ce_knativeerrorcode"] == b"500"
    assert base64.b64decode(headers["ce_knativeerrordata"]) == b'{"detail": "database down"}'
    assert headers["ce_satmonattempts"] == b"3"
    assert b"retries exhausted" in headers["ce_satmonreason"]
    assert headers["ce_satmonorigin"] == f"{topic}/0/0".encode()


def test_400_and_poison_records_are_dead_lettered_and_the_partition_moves_on(
    kafka_bootstrap: str,
) -> None:
    topic = fresh_topic()
    produce(topic, ["bad-request"])
    produce_raw(
        topic, b'{"n": 1}', [("ce_type", b"x"), ("ce_source", b"/y"), ("ce_specversion", b"1.0")]
    )  # no ce_id
    produce_raw(
        topic,
        b"{not json",
        [
            ("ce_id", b"p2"),
            ("ce_type", b"x"),
            ("ce_source", b"/y"),
            ("ce_specversion", b"1.0"),
            ("content-type", b"application/json"),
        ],
    )
    produce(topic, ["later-1", "later-2"])

    def respond(req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.ids == ["bad-request"]:
            return 400, {"Content-Type": "application/problem+json"}, b'{"field": "data.n"}'
        return 200, {}, b""

    with http_sink(Sink(respond=respond)) as sink:
        sub = subscription(topic, sink, ordered=True)
        with running(sub):
            wait_for(lambda: "later-2" in sink.ids(), what="events after the poison")
            wait_for(lambda: committed(sub.group, topic) == [5], 5, "commit of 5")
        assert sink.ids() == ["bad-request", "later-1", "later-2"]
        assert len(sink.attempts("bad-request")) == 1  # 400 is not retried
    dead = read_all(dlq_topic(topic), 3)
    assert len(dead) == 3
    by_origin = {dict(m.headers())["ce_satmonorigin"].decode(): m for m in dead}
    rejected = dict(by_origin[f"{topic}/0/0"].headers())
    assert rejected["ce_knativeerrorcode"] == b"400"
    assert rejected["ce_satmonattempts"] == b"1"
    no_id = dict(by_origin[f"{topic}/0/1"].headers())
    assert b"missing CloudEvent attribute 'id'" in no_id["ce_satmonreason"]
    assert no_id["ce_satmonattempts"] == b"0"
    assert by_origin[f"{topic}/0/1"].value() == b'{"n": 1}'
    bad_json = dict(by_origin[f"{topic}/0/2"].headers())
    assert b"not valid JSON" in bad_json["ce_satmonreason"]
    assert by_origin[f"{topic}/0/2"].value() == b"{not json"


def test_filters_skip_events_but_commit_their_offsets(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    produce(topic, ["keep-1"], event_type="io.satmon.forecast.completed.v1")
    produce(topic, ["skip-1"], event_type="io.satmon.telemetry.v1")
    produce(topic, ["keep-2"], event_type="io.satmon.anomaly.detected.v1")
    accept = compile_filters(
        [
            {
                "any": [
                    {"prefix": {"type": "io.satmon.forecast."}},
                    {"suffix": {"type": "anomaly.detected.v1"}},
                ]
            }
        ]
    )
    with http_sink(Sink()) as sink:
        sub = subscription(topic, sink, kind="Trigger", accept=accept)
        with running(sub) as dispatcher:
            wait_for(lambda: committed(sub.group, topic) == [3], what="commit of 3")
        assert sink.ids() == ["keep-1", "keep-2"]
        assert dispatcher.stats()[sub.name].filtered == 1


def test_batches_with_per_event_rejections(kafka_bootstrap: str) -> None:
    topic = fresh_topic(partitions=1)
    ids = _ids("batch", 50)
    produce(topic, ids)

    def respond(req: Request) -> tuple[int, dict[str, str], bytes]:
        events = req.events
        rejected = [
            {
                "index": i,
                "id": e["id"],
                "source": e["source"],
                "status": 400,
                "field": "data.n",
                "detail": "n must be even",
            }
            for i, e in enumerate(events)
            if e["data"]["n"] % 10 == 3
        ]
        return (
            200,
            {"Content-Type": "application/json"},
            json.dumps({"rejected": rejected}).encode(),
        )

    with http_sink(Sink(respond=respond)) as sink:
        sub = subscription(topic, sink, batch_max_events=20, batch_max_wait_ms=20, ordered=False)
        with running(sub) as dispatcher:
            wait_for(lambda: committed(sub.group, topic) == [50], what="commit of 50")
        assert all(
            r.headers["content-type"] == "application/cloudevents-batch+json" for r in sink.requests
        )
        assert max(len(r.ids) for r in sink.requests) > 1
        assert max(len(r.ids) for r in sink.requests) <= 20
        assert sorted(sink.ids()) == ids
        assert dispatcher.stats()[sub.name].dead_lettered == 5
    dead = read_all(dlq_topic(topic), 5)
    assert sorted(dict(m.headers())["ce_id"].decode() for m in dead) == [
        f"batch-{i:03d}" for i in (3, 13, 23, 33, 43)
    ]
    headers = dict(dead[0].headers())
    assert headers["ce_knativeerrorcode"] == b"400"
    assert b"n must be even" in headers["ce_satmonreason"]


def test_a_refused_batch_is_retried_one_event_at_a_time(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    produce(topic, ["b-0", "b-poison", "b-2"])

    def respond(req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.headers["content-type"].startswith("application/cloudevents-batch"):
            return 400, {}, b"bad batch"
        return (400 if req.ids == ["b-poison"] else 200), {}, b""

    with http_sink(Sink(respond=respond)) as sink:
        sub = subscription(topic, sink, batch_max_events=10, batch_max_wait_ms=50)
        with running(sub):
            wait_for(lambda: committed(sub.group, topic) == [3], what="commit of 3")
        singles = [r for r in sink.requests if "ce-id" in r.headers]
        assert sorted(r.headers["ce-id"] for r in singles) == ["b-0", "b-2", "b-poison"]
    (dead,) = read_all(dlq_topic(topic), 1)
    assert dict(dead.headers())["ce_id"] == b"b-poison"


def test_duplicate_injection_redelivers_a_share(kafka_bootstrap: str) -> None:
    topic = fresh_topic(partitions=3)
    ids = _ids("dup", 200)
    produce(topic, ids)
    with http_sink(Sink()) as sink:
        sub = subscription(topic, sink, ordered=False, batch_max_events=25)
        with running(sub, duplicate_rate=0.5, seed=7) as dispatcher:
            wait_for(lambda: committed_total(sub.group, topic, 3) == 200, what="commit of 200")
            wait_for(
                lambda: len(sink.ids()) == 200 + dispatcher.stats()[sub.name].duplicates_sent,
                5,
                "duplicates to arrive",
            )
        received = sink.ids()
        assert set(received) == set(ids)
        duplicates = len(received) - len(ids)
        assert 60 <= duplicates <= 140  # about half of 200
        assert dispatcher.stats()[sub.name].duplicates_sent == duplicates


def test_nothing_is_committed_while_the_sink_fails(kafka_bootstrap: str) -> None:
    topic = fresh_topic()
    produce(topic, ["stuck-1", "stuck-2"])
    with http_sink(Sink(respond=lambda req: (503, {}, b"down"))) as sink:
        policy = DeliveryPolicy(retry=50, backoff_policy="linear", backoff_delay=0.05, timeout=5)
        sub = subscription(topic, sink, delivery=policy)
        with running(sub):
            wait_for(lambda: len(sink.attempts("stuck-1")) >= 3, what="three attempts")
        assert "stuck-2" not in sink.ids()  # ordered: blocked behind stuck-1
    assert committed(sub.group, topic) == [-1001]  # OFFSET_INVALID: nothing committed
    # the sink recovers: a new dispatcher on the same group delivers both
    with http_sink(Sink()) as sink:
        sub2 = replace(sub, sink=replace(sub.sink, url=sink.url))
        with running(sub2):
            wait_for(lambda: committed(sub.group, topic) == [2], what="commit after recovery")
        assert sink.ids() == ["stuck-1", "stuck-2"]
