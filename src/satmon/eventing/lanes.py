"""Lanes and units: which buffered events go out in the next delivery, and when.

Each assigned partition is a :class:`Lane`: the segments of events its fetches brought
that are not in a unit yet, and its :class:`~satmon.eventing.offsets.OffsetTracker`.
A *unit* is what one worker delivers at once: one event, or up to ``batch_max_events``
for subscribers that accept batched mode.

* ``ordered`` — one unit in flight per lane, made of that lane's events; the next waits
  for success or dead-lettering (the KafkaSource default);
* ``unordered`` — units draw on every lane, so at a low rate one batch window makes one
  request, not one per partition; up to ``max_in_flight`` units per assigned partition
  are in flight at once (the Kafka Broker Trigger default).

Every public method takes the scheduler's lock itself.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from satmon.eventing.offsets import OffsetTracker, Span
from satmon.eventing.records import Envelope

PartitionKey = tuple[str, int]
Fetched = Mapping[PartitionKey, tuple[list[Envelope], int]]
"""One fetch, per partition: the events to deliver (in offset order, filtered ones left
out) and the end of the offsets it covered (exclusive)."""


@dataclass(slots=True, eq=False)
class Segment:
    """The events of one partition that one fetch brought, not yet all in units:
    offsets up to ``end`` (exclusive) and the events to deliver."""

    end: int
    envs: list[Envelope]
    taken: int = 0  # envs[:taken] are in units already


@dataclass(eq=False)
class Lane:
    """One assigned partition: its queued segments, units in flight (ordered
    subscriptions) and its offsets."""

    topic: str
    partition: int
    queue: deque[Segment] = field(default_factory=deque)
    pending: int = 0
    in_flight: int = 0
    tracker: OffsetTracker = field(default_factory=OffsetTracker)
    revoked: bool = False


Part = tuple[Lane, Span, list[Envelope]]
"""A slice of one segment's events inside a unit, with the offsets it answers for."""
Unit = list[Part]


def unit_events(unit: Unit) -> list[Envelope]:
    """The events of a unit, in the order they are delivered."""
    return unit[0][2] if len(unit) == 1 else [env for part in unit for env in part[2]]


class Scheduler:
    """The lanes of one subscription and the in-flight limits over them."""

    def __init__(self, ordered: bool, batch_max_events: int, max_in_flight: int) -> None:
        self.ordered = ordered
        self.batch_max_events = batch_max_events
        self.max_in_flight = max_in_flight
        self.lock = threading.Lock()
        self.lanes: dict[PartitionKey, Lane] = {}
        self.buffered = 0  # events queued, not yet in a unit
        self._in_flight = 0  # units in flight (unordered subscriptions)
        self._turn = 0

    # --- assignment ----------------------------------------------------------------------
    def assign(self, partitions: Iterable[PartitionKey]) -> None:
        with self.lock:
            for key in partitions:
                self.lanes[key] = Lane(*key)

    def revoke(self, partitions: Iterable[PartitionKey]) -> None:
        """Forget these lanes; units in flight on them finish, their offsets are not
        committed by this consumer any more."""
        with self.lock:
            for key in partitions:
                lane = self.lanes.pop(key, None)
                if lane is not None:
                    lane.revoked = True
                    self._drop_queued(lane)

    def clear(self) -> None:
        """Drop every queued event (stopping: Kafka redelivers them)."""
        with self.lock:
            for lane in self.lanes.values():
                self._drop_queued(lane)

    def partitions(self) -> list[PartitionKey]:
        with self.lock:
            return list(self.lanes)

    # --- units ---------------------------------------------------------------------------
    def queue(self, fetched: Fetched) -> list[Unit]:
        """Queue one fetch; returns the units that may start now (their slots taken)."""
        with self.lock:
            touched = []
            for key, (envs, end) in fetched.items():
                lane = self.lanes.get(key)
                if lane is None:  # assignment changed under us; Kafka will redeliver
                    continue
                if envs:
                    lane.queue.append(Segment(end, envs))
                    lane.pending += len(envs)
                    self.buffered += len(envs)
                    touched.append(lane)
                elif lane.queue:  # all filtered out: done once the events before them are
                    lane.queue[-1].end = end
                else:
                    lane.tracker.add(Span(end, done=True))
            return self._startable(touched) if touched else []

    def finish(self, unit: Unit) -> Unit:
        """``unit`` was delivered or dead-lettered: its offsets may be committed. Returns
        the next unit for the same worker, or an empty one that released its slot."""
        with self.lock:
            for _, span, _ in unit:
                span.done = True
            if self.ordered:
                lane = unit[0][0]
                if lane.pending and not lane.revoked:
                    return self._take((lane,))
            elif self.buffered > 0 and self._in_flight <= self._unordered_limit():
                following = self._take(self._rotated_lanes())
                if following:
                    return following
            self._release(unit)
            return []

    def abandon(self, unit: Unit) -> None:
        """``unit`` was left undone (stopping): its offsets stay uncommitted."""
        with self.lock:
            self._release(unit)

    def halt(self, unit: Unit) -> None:
        """Delivering ``unit`` failed unexpectedly: its lanes take no more units, and
        nothing at or after its offsets is committed."""
        with self.lock:
            for lane, _, _ in unit:
                lane.revoked = True
            self._release(unit)

    def advance(self) -> list[tuple[str, int, int]]:
        """(topic, partition, position) of every lane whose commit position moved."""
        moved = []
        with self.lock:
            for lane in self.lanes.values():
                position = lane.tracker.advance()
                if position is not None:
                    moved.append((lane.topic, lane.partition, position))
        return moved

    # --- helpers (lock held) -------------------------------------------------------------
    def _startable(self, touched: Sequence[Lane]) -> list[Unit]:
        units = []
        if self.ordered:
            for lane in touched:
                if lane.pending and lane.in_flight < 1 and not lane.revoked:
                    lane.in_flight += 1
                    units.append(self._take((lane,)))
            return units
        while self.buffered > 0 and self._in_flight < self._unordered_limit():
            unit = self._take(self._rotated_lanes())
            if not unit:
                break
            self._in_flight += 1
            units.append(unit)
        return units

    def _take(self, lanes: Sequence[Lane]) -> Unit:
        """Up to ``batch_max_events`` events, the oldest segments of each lane first."""
        room = self.batch_max_events
        parts: Unit = []
        for lane in lanes:
            queue = lane.queue
            while room and queue and not lane.revoked:
                segment = queue[0]
                start = segment.taken
                left = len(segment.envs) - start
                n = min(room, left)
                whole = start == 0 and n == left
                envs = segment.envs if whole else segment.envs[start : start + n]
                segment.taken = start + n
                if n == left:
                    queue.popleft()
                    span = Span(segment.end)
                else:
                    span = Span(envs[-1].offset + 1)
                lane.tracker.add(span)
                lane.pending -= n
                self.buffered -= n
                room -= n
                parts.append((lane, span, envs))
            if not room:
                break
        return parts

    def _rotated_lanes(self) -> list[Lane]:
        """Every lane, starting one further each time, so no partition starves."""
        lanes = list(self.lanes.values())
        if len(lanes) > 1:
            self._turn = (self._turn + 1) % len(lanes)
            lanes = lanes[self._turn :] + lanes[: self._turn]
        return lanes

    def _unordered_limit(self) -> int:
        return self.max_in_flight * max(len(self.lanes), 1)

    def _release(self, unit: Unit) -> None:
        if self.ordered:
            unit[0][0].in_flight -= 1
        else:
            self._in_flight -= 1

    def _drop_queued(self, lane: Lane) -> None:
        self.buffered -= lane.pending
        lane.pending = 0
        lane.queue.clear()
