"""Produce CloudEvents to Kafka and wait until the broker has them (acks=all).

Each call waits only for its own records: delivery callbacks fire on whichever thread
polls, so concurrent requests poll for one another and nobody flushes everybody.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from cloudevents.http import CloudEvent
from confluent_kafka import KafkaError, KafkaException

from satmon.clients.kafka_limits import RecordTooLarge
from satmon.contract.events import to_kafka
from satmon.errors import SatmonError, TransientError


class Overloaded(TransientError):
    """The producer's local queue is full: answer 429 / 503 with Retry-After."""


class _Pending:
    def __init__(self, count: int) -> None:
        self.left = count
        self.errors: list[Any] = []
        self._lock = threading.Lock()
        self.done = threading.Event()
        if count == 0:
            self.done.set()

    def on_delivery(self, err: Any, _msg: Any) -> None:
        with self._lock:
            if err is not None:
                self.errors.append(err)
            self.left -= 1
            if self.left <= 0:
                self.done.set()


def deliver(producer: Any, records: Sequence[tuple[str, CloudEvent]], timeout_s: float) -> None:
    """Produce every (topic, event) and return once Kafka acknowledged all of them.

    Raises Overloaded when the local queue is full, RecordTooLarge for a record Kafka
    refuses by its size, TransientError on any other delivery error or when
    ``timeout_s`` passes first (the caller answers 5xx; a retry is safe because
    consumers dedupe on source + id).
    """
    pending = _Pending(len(records))
    for topic, event in records:
        key, value, headers = to_kafka(event)
        try:
            producer.produce(
                topic, value=value, key=key, headers=headers, on_delivery=pending.on_delivery
            )
        except BufferError as exc:
            producer.poll(0)
            raise Overloaded(f"Kafka producer queue full: {exc}") from exc
        except KafkaException as exc:
            raise produce_error(exc.args[0]) from exc
    deadline = time.monotonic() + timeout_s
    while not pending.done.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            raise TransientError(
                f"Kafka did not acknowledge {pending.left} event(s) in {timeout_s}s"
            )
        producer.poll(min(left, 0.05))
    if pending.errors:
        raise delivery_error(pending.errors[0])


def produce_error(err: Any) -> SatmonError:
    """What ``produce()`` refusing a record means for the sender."""
    if _code(err) == KafkaError.MSG_SIZE_TOO_LARGE:
        return RecordTooLarge(f"Kafka refused a record by its size: {err}", None)
    return TransientError(f"Kafka refused the record: {err}")


def delivery_error(err: Any, outcome: str = "") -> SatmonError:
    """What a failed delivery report means: too large is permanent, the rest transient."""
    suffix = f"; {outcome}" if outcome else ""
    if _code(err) in (KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE):
        return RecordTooLarge(f"Kafka refused a record by its size: {err}{suffix}", None)
    return TransientError(f"Kafka delivery failed: {err}{suffix}")


def _code(err: Any) -> Any:
    code = getattr(err, "code", None)
    return code() if callable(code) else None


def produce_nowait(producer: Any, records: Sequence[tuple[str, CloudEvent]]) -> None:
    """Queue events without waiting (best-effort status updates)."""
    for topic, event in records:
        key, value, headers = to_kafka(event)
        try:
            producer.produce(topic, value=value, key=key, headers=headers)
        except BufferError:
            break
    producer.poll(0)
