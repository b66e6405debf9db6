"""A dead letter its subscriber did not take is delivered again, not dead-lettered again
(pure logic: a fake sender and a recording dead-letter writer stand in for HTTP and
Kafka; the real delivery is tested in tests/integration/eventing)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from satmon.eventing.dlq import Failure
from satmon.eventing.outcomes import Outcomes, Stats
from satmon.eventing.records import Envelope
from satmon.eventing.sender import Abandoned, Verdict
from satmon.eventing.topology import HttpSink, Subscription

SINK = HttpSink("http://127.0.0.1:8086")


class FakeSender:
    """Refuses every event for its first ``refusals`` calls, then takes them all."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.calls: list[list[str]] = []

    def send(self, envs: Sequence[Envelope]) -> Verdict:
        self.calls.append([e.attrs["id"] for e in envs])
        if len(self.calls) <= self.refusals:
            failure = Failure(SINK.url, "503 Service Unavailable", 61, 503)
            return Verdict(dead=[(e, failure) for e in envs], attempts=61 * len(envs))
        return Verdict(delivered=list(envs), attempts=len(envs))


class RecordingWriter:
    def __init__(self) -> None:
        self.written: list[tuple[str, list[str]]] = []

    def write(self, topic: str, items: Sequence[tuple[Envelope, Failure]]) -> None:
        self.written.append((topic, [e.attrs["id"] for e, _ in items]))


def envelope(topic: str, n: int) -> Envelope:
    attrs = {"id": f"e-{n}", "source": "/tests", "type": "t", "specversion": "1.0"}
    return Envelope(topic, 0, n, None, b"{}", [], attrs=attrs)


def outcomes(sender: FakeSender, writer: RecordingWriter, stop: threading.Event, **sub):
    subscription = Subscription("store", "KafkaSource", ("x.dlq",), "g", SINK, **sub)
    return Outcomes(subscription, sender, writer, Stats(), stop, redeliver_pause_s=0.01)


def test_a_dead_letter_the_store_refused_is_delivered_again_until_taken() -> None:
    sender, writer = FakeSender(refusals=2), RecordingWriter()
    unit = [envelope("satellite-telemetry.dlq", n) for n in range(3)]
    done = outcomes(sender, writer, threading.Event())
    done.deliver(unit)
    assert sender.calls == [["e-0", "e-1", "e-2"]] * 3
    assert writer.written == []  # never to satellite-telemetry.dlq.dlq
    assert done.stats.delivered == 3 and done.stats.dead_lettered == 0


def test_an_event_of_an_ordinary_topic_is_still_dead_lettered() -> None:
    sender, writer = FakeSender(refusals=1), RecordingWriter()
    outcomes(sender, writer, threading.Event()).deliver([envelope("satellite-telemetry", 7)])
    assert writer.written == [("satellite-telemetry.dlq", ["e-7"])]
    assert len(sender.calls) == 1


def test_a_dead_letter_sink_of_its_own_is_still_used() -> None:
    sender, writer = FakeSender(refusals=1), RecordingWriter()
    done = outcomes(sender, writer, threading.Event(), dead_letter_topic="parked")
    done.deliver([envelope("inference.results.dlq", 1)])
    assert writer.written == [("parked", ["e-1"])]


def test_stopping_while_waiting_leaves_the_offsets_uncommitted() -> None:
    sender, writer = FakeSender(refusals=100), RecordingWriter()
    stop = threading.Event()
    stop.set()
    with pytest.raises(Abandoned):  # the runner then commits nothing for the unit
        outcomes(sender, writer, stop).deliver([envelope("inference.requests.dlq", 1)])
    assert writer.written == []
