"""Kafka as the pipeline page sees it: per topic its retained messages and rate in, per
consumer group its lag, and the newest records of each dead-letter topic.

Read-only: an admin client for group offsets and one consumer that only assigns
partitions (it never joins a group or commits). Calls block, so routes run them in
the thread pool; one lock keeps the shared consumer's assignments apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    OFFSET_INVALID,
    ConsumerGroupTopicPartitions,
    KafkaException,
    TopicPartition,
)

from satmon.api.problems import Unavailable
from satmon.clients.kafka import make_admin, make_consumer
from satmon.settings import Settings

NAME = "Kafka"
INTERNAL_PREFIX = "__"


@dataclass(frozen=True)
class TopicFlow:
    topic: str
    partitions: int
    retained: int  # messages between the low and high watermarks
    end_offset: int  # sum of the partitions' high watermarks
    arrived: int  # messages whose timestamp falls in the window


@dataclass(frozen=True)
class GroupLag:
    group: str
    topic: str
    committed: int | None  # None: the group has committed nothing on this topic
    end_offset: int
    lag: int


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: str | None
    headers: dict[str, bytes]
    value: bytes


class KafkaAdminReader:
    def __init__(self, settings: Settings, timeout_s: float) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._admin: Any = None
        self._consumer: Any = None

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None

    def topic_names(self) -> list[str]:
        meta = self._call(lambda: self._admin_client().list_topics(timeout=self.timeout_s))
        return sorted(t for t in meta.topics if not t.startswith(INTERNAL_PREFIX))

    def flows(self, topics: Sequence[str], window_s: float) -> list[TopicFlow]:
        """Retained messages and arrivals in the last ``window_s`` of each topic."""
        since_ms = int((time.time() - window_s) * 1000)
        with self._lock:
            consumer = self._consumer_client()
            out = []
            for topic in topics:
                parts = self._partitions(topic)
                marks = [self._watermarks(consumer, topic, p) for p in parts]
                asked = [TopicPartition(topic, p, since_ms) for p in parts]
                found = self._call(lambda a=asked: consumer.offsets_for_times(a, self.timeout_s))
                arrived = sum(
                    high - (f.offset if f.offset >= 0 else high)
                    for f, (_, high) in zip(found, marks, strict=True)
                )
                out.append(
                    TopicFlow(
                        topic,
                        len(parts),
                        sum(high - low for low, high in marks),
                        sum(high for _, high in marks),
                        arrived,
                    )
                )
            return out

    def lags(self, groups: Iterable[tuple[str, str]]) -> list[GroupLag]:
        """Each (group, topic): committed offsets against the topic's end."""
        out = []
        for group, topic in groups:
            parts = self._partitions(topic)
            request = [
                ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in parts])
            ]
            futures = self._call(
                lambda r=request: self._admin_client().list_consumer_group_offsets(r)
            )
            committed = self._call(lambda f=futures, g=group: f[g].result(self.timeout_s))
            with self._lock:
                consumer = self._consumer_client()
                ends = {p: self._watermarks(consumer, topic, p) for p in parts}
            done = {
                tp.partition: tp.offset
                for tp in committed.topic_partitions
                if tp.offset not in (OFFSET_INVALID,) and tp.offset >= 0
            }
            lag = sum(high - done.get(p, low) for p, (low, high) in ends.items())
            out.append(
                GroupLag(
                    group,
                    topic,
                    sum(done.values()) if done else None,
                    sum(high for _, high in ends.values()),
                    max(lag, 0),
                )
            )
        return out

    def tail_many(
        self, topics: Sequence[str], newest: int, since_ms: int | None = None
    ) -> list[Record]:
        """Up to ``newest`` of each topic's latest records (only those from ``since_ms``
        on), read through one assignment of all their partitions: a fetch round per topic
        made the dead letters of many topics slow to read."""
        with self._lock:
            consumer = self._consumer_client()
            starts: dict[tuple[str, int], int] = {}
            todo: dict[tuple[str, int], int] = {}
            for topic in topics:
                for p, start, end in self._tail_ranges(consumer, topic, newest, since_ms):
                    if start < end:
                        starts[(topic, p)], todo[(topic, p)] = start, end
            if not todo:
                return []
            consumer.assign([TopicPartition(t, p, starts[(t, p)]) for t, p in todo])
            records: list[Record] = []
            deadline = time.monotonic() + self.timeout_s
            try:
                while todo and time.monotonic() < deadline:
                    for message in consumer.consume(500, timeout=0.2):
                        if message.error() is not None:
                            continue
                        records.append(_record(message))
                        where = (message.topic(), message.partition())
                        if message.offset() + 1 >= todo.get(where, 0):
                            todo.pop(where, None)
            except KafkaException as exc:
                raise Unavailable(NAME, str(exc)) from exc
            finally:
                consumer.unassign()
        records.sort(key=lambda r: (r.timestamp_ms, r.offset), reverse=True)
        kept: dict[str, int] = {}
        out = []
        for record in records:  # the newest ``newest`` of each topic
            if kept.get(record.topic, 0) < newest:
                kept[record.topic] = kept.get(record.topic, 0) + 1
                out.append(record)
        return out

    def _tail_ranges(
        self, consumer: Any, topic: str, newest: int, since_ms: int | None
    ) -> list[tuple[int, int, int]]:
        """Per partition of ``topic``: (partition, first offset to read, end offset)."""
        parts = self._partitions(topic)
        marks = {p: self._watermarks(consumer, topic, p) for p in parts}
        starts = {p: max(low, high - newest) for p, (low, high) in marks.items()}
        if since_ms is not None:
            asked = [TopicPartition(topic, p, since_ms) for p in parts]
            found = self._call(lambda: consumer.offsets_for_times(asked, self.timeout_s))
            for f in found:
                first = f.offset if f.offset >= 0 else marks[f.partition][1]
                starts[f.partition] = max(starts[f.partition], first)
        return [(p, starts[p], marks[p][1]) for p in parts]

    # --- helpers ----------------------------------------------------------------------
    def _partitions(self, topic: str) -> list[int]:
        meta = self._call(lambda: self._admin_client().list_topics(topic, timeout=self.timeout_s))
        found = meta.topics.get(topic)
        if found is None or found.error is not None:
            return []
        return sorted(found.partitions)

    def _watermarks(self, consumer: Any, topic: str, partition: int) -> tuple[int, int]:
        tp = TopicPartition(topic, partition)
        low, high = self._call(lambda: consumer.get_watermark_offsets(tp, timeout=self.timeout_s))
        return int(low), int(high)

    def _admin_client(self) -> Any:
        if self._admin is None:
            self._admin = make_admin(self.settings, **{"log_level": 3})
        return self._admin

    def _consumer_client(self) -> Any:
        if self._consumer is None:
            self._consumer = make_consumer(
                "satmon-api-pipeline",
                self.settings,
                **{"log_level": 3, "enable.partition.eof": False},
            )
        return self._consumer

    def _call(self, fn: Any) -> Any:
        try:
            result = fn()
        except KafkaException as exc:
            raise Unavailable(NAME, _reason(exc)) from exc
        if result is None:
            raise Unavailable(NAME, f"no answer within {self.timeout_s:g} s")
        return result


def _record(message: Any) -> Record:
    key = message.key()
    return Record(
        message.topic(),
        message.partition(),
        message.offset(),
        message.timestamp()[1],
        key.decode(errors="replace") if key is not None else None,
        {name: value or b"" for name, value in message.headers() or []},
        message.value() or b"",
    )


def _reason(exc: KafkaException) -> str:
    error = exc.args[0] if exc.args else exc
    return str(getattr(error, "str", lambda: error)())
