"""The largest record Kafka takes here, read from the producer and the broker.

Two limits apply to one record, headers included:

- the producer's ``message.max.bytes`` (librdkafka default 1,000,000): ``produce()``
  refuses a record whose key + value + header names and values exceed it
  (``MSG_SIZE_TOO_LARGE``);
- each topic's ``max.message.bytes`` (the broker's ``message.max.bytes`` unless the
  topic overrides it, 1,048,588 by default), which the broker checks against the whole
  record batch: the batch header, the record's varint framing and, with compression,
  the compressed size, which for incompressible data is slightly larger (lz4: up to
  1/255 more). ``FRAMING_BYTES`` and that ratio are taken off before comparing.

The smaller of the two is the limit, with the sentence that says where it comes from.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import ConfigResource, ResourceType

from satmon.errors import PermanentError

log = logging.getLogger(__name__)

LIBRDKAFKA_MESSAGE_MAX_BYTES = 1_000_000
FRAMING_BYTES = 1024
"""Record batch header (61 bytes), the record's varints and those of up to ~90 headers."""
RETRY_UNREACHABLE_S = 30.0


@dataclass(frozen=True, slots=True)
class RecordLimit:
    """Bytes of key + value + headers one record may hold, and why that many."""

    max_bytes: int
    source: str


class RecordTooLarge(PermanentError):
    """A record over the limit: never retried, answered 413 (``limit`` None when Kafka
    itself refused it and did not say by how much)."""

    def __init__(self, message: str, limit: RecordLimit | None, field: str | None = None) -> None:
        super().__init__(message, field)
        self.limit = limit


def record_size(key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, Any]]) -> int:
    """A record's size as librdkafka counts it against ``message.max.bytes``."""
    size = len(key or b"") + len(value or b"")
    for name, header_value in headers:
        size += len(name.encode()) + len(header_value or b"")
    return size


def producer_max_bytes(config: dict[str, Any]) -> int:
    return int(config.get("message.max.bytes", LIBRDKAFKA_MESSAGE_MAX_BYTES))


def broker_side_max(topic_max: int) -> int:
    """Record bytes that fit a topic's ``max.message.bytes`` once framed and compressed."""
    return (topic_max - FRAMING_BYTES) * 255 // 256


def read_record_limit(
    admin: Any, topics: Iterable[str], producer_max: int, timeout_s: float = 5.0
) -> RecordLimit:
    """Ask the broker for each topic's ``max.message.bytes``; the smaller side wins."""
    resources = [ConfigResource(ResourceType.TOPIC, t) for t in topics]
    topic_max: dict[str, int] = {}
    answers = admin.describe_configs(resources, request_timeout=timeout_s)
    for resource, future in answers.items():
        config = future.result(timeout=timeout_s)
        topic_max[resource.name] = int(config["max.message.bytes"].value)
    producer_side = RecordLimit(
        producer_max, f"the producer's message.max.bytes ({producer_max:,} bytes)"
    )
    if not topic_max:
        return producer_side
    topic, smallest = min(topic_max.items(), key=lambda item: item[1])
    broker = RecordLimit(
        broker_side_max(smallest),
        f"topic {topic}'s max.message.bytes ({smallest:,} bytes) less record framing",
    )
    return min(producer_side, broker, key=lambda limit: limit.max_bytes)


class KafkaRecordLimit:
    """``read_record_limit`` once, then again every ``refresh_s`` (topics can be altered).

    While the broker cannot be asked, the producer's own limit stands (it is the
    smaller one under default settings) and the broker is asked again after 30 s.
    """

    def __init__(
        self,
        admin_factory: Callable[[], Any],
        topics: Sequence[str],
        producer_max: int,
        refresh_s: float = 300.0,
        timeout_s: float = 5.0,
    ) -> None:
        self.admin_factory = admin_factory
        self.topics = list(topics)
        self.producer_max = producer_max
        self.refresh_s = refresh_s
        self.timeout_s = timeout_s
        self._limit: RecordLimit | None = None
        self._next_read = 0.0
        self._lock = threading.Lock()

    def current(self) -> RecordLimit:
        now = time.monotonic()
        if self._limit is not None and now < self._next_read:
            return self._limit
        with self._lock:
            if self._limit is None or time.monotonic() >= self._next_read:
                self._limit, wait = self._read()
                self._next_read = time.monotonic() + wait
            return self._limit

    def _read(self) -> tuple[RecordLimit, float]:
        try:
            admin = self.admin_factory()
            limit = read_record_limit(admin, self.topics, self.producer_max, self.timeout_s)
            return limit, self.refresh_s
        except (KafkaException, ValueError, TimeoutError) as exc:
            log.warning(
                "could not read the topics' max.message.bytes, using the producer's: %s", exc
            )
            fallback = RecordLimit(
                self.producer_max,
                f"the producer's message.max.bytes ({self.producer_max:,} bytes; "
                "the broker's own limit could not be read)",
            )
            return fallback, RETRY_UNREACHABLE_S
