"""Offset tracking by spans and units across partitions (no Kafka: fake records)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from satmon.eventing.offsets import OffsetTracker, Span
from satmon.eventing.runner import SubscriptionRunner
from satmon.eventing.topology import HttpSink, Subscription


class FakeMessage:
    def __init__(self, topic: str, partition: int, offset: int, kind: str = "keep") -> None:
        self._t, self._p, self._o = topic, partition, offset
        self._headers = [
            ("ce_id", f"{partition}-{offset}".encode()),
            ("ce_source", b"/test"),
            ("ce_specversion", b"1.0"),
            ("ce_type", kind.encode()),
        ]

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._t

    def partition(self) -> int:
        return self._p

    def offset(self) -> int:
        return self._o

    def key(self) -> None:
        return None

    def value(self) -> bytes:
        return b'{"x":1}'

    def headers(self) -> list[tuple[str, bytes]]:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return (1, 0)


class FakePartition:
    def __init__(self, topic: str, partition: int) -> None:
        self.topic, self.partition = topic, partition


def _runner(ordered: bool, batch: int = 3, in_flight: int = 1) -> SubscriptionRunner:
    sub = Subscription(
        "t",
        "KafkaSource",
        ("t",),
        "g",
        HttpSink("http://127.0.0.1:9", "x"),
        ordered=ordered,
        accept=lambda attrs: attrs["type"] != "skip",
        batch_max_events=batch,
        max_in_flight=in_flight,
    )
    runner = SubscriptionRunner(sub, threading.Event(), producer=object())
    runner._on_assign(None, [FakePartition("t", 0), FakePartition("t", 1)])
    return runner


def _positions(runner: SubscriptionRunner) -> dict[int, int | None]:
    out = {}
    with runner.scheduler.lock:
        for lane in runner.scheduler.lanes.values():
            lane.tracker.advance()
            out[lane.partition] = lane.tracker.position
    return out


def test_tracker_moves_past_leading_done_spans_only() -> None:
    tracker = OffsetTracker()
    first, second = Span(5), Span(9)
    tracker.add(first)
    tracker.add(second)
    second.done = True
    assert tracker.advance() is None and tracker.outstanding() == 1
    first.done = True
    assert tracker.advance() == 9 and tracker.outstanding() == 0


@pytest.mark.parametrize("ordered", [True, False])
def test_units_cover_every_event_once_and_commit_follows(ordered: bool) -> None:
    runner = _runner(ordered)
    release = threading.Event()
    units: list[list[str]] = []

    def deliver(envs: list[Any]) -> None:
        release.wait(5)
        with runner.scheduler.lock:
            units.append([e.attrs["id"] for e in envs])

    runner.outcomes.deliver = deliver
    kinds = ["keep", "skip", "keep", "keep", "skip", "skip"]
    messages = [FakeMessage("t", p, o, kinds[o]) for o in range(6) for p in (0, 1)]
    runner._accept(messages)
    assert _positions(runner) == {0: None, 1: None}  # nothing delivered yet
    release.set()
    deadline = time.monotonic() + 5
    while sum(map(len, units)) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    runner._pool.shutdown(wait=True)
    delivered = sorted(i for unit in units for i in unit)
    assert delivered == sorted(f"{p}-{o}" for p in (0, 1) for o in (0, 2, 3))
    assert all(len(unit) <= 3 for unit in units)
    if ordered:  # a unit never mixes partitions
        assert all(len({i.split("-")[0] for i in unit}) == 1 for unit in units)
    assert _positions(runner) == {0: 6, 1: 6}  # trailing filtered records committed too
    assert runner.stats.filtered == 6 and runner.scheduler.buffered == 0
    runner._http.close()


def test_filtered_records_behind_queued_ones_wait_for_them() -> None:
    runner = _runner(ordered=True, batch=1)
    gate = threading.Event()
    runner.outcomes.deliver = lambda envs: gate.wait(5)
    runner._accept([FakeMessage("t", 0, 0), FakeMessage("t", 0, 1)])
    runner._accept([FakeMessage("t", 0, 2, "skip")])
    assert _positions(runner)[0] is None
    gate.set()
    runner._pool.shutdown(wait=True)
    assert _positions(runner)[0] == 3
    runner._http.close()
