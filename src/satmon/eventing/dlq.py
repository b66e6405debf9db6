"""Dead-lettering: the original record plus Knative's error extensions, written durably.

A dead-lettered event keeps its key, value and headers and gains, as CloudEvent
extension attributes (``ce_*`` headers in Kafka binary mode):

* ``knativeerrordest`` — the subscriber URL that failed,
* ``knativeerrorcode`` — the last HTTP status (absent when there was no answer),
* ``knativeerrordata`` — the last response body (or transport error), truncated to
  1024 bytes and base64-encoded, as Knative's Kafka data plane writes it,
* ``satmonattempts`` — how many delivery attempts were made (0: never deliverable),
* ``satmonreason`` — a one-line reason in plain text,
* ``satmonorigin`` — ``<topic>/<partition>/<offset>`` of the original record.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, Producer

from satmon.contract.dead_letters import DEAD_LETTER_EXTENSIONS
from satmon.errors import TransientError
from satmon.eventing.records import Envelope, Header

log = logging.getLogger(__name__)
ERROR_DATA_MAX = 1024
EXTENSIONS = DEAD_LETTER_EXTENSIONS


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an event is dead-lettered."""

    dest: str
    reason: str
    attempts: int
    code: int | None = None
    body: bytes | str | None = None


def dead_letter_headers(headers: Sequence[Header], failure: Failure, origin: str) -> list[Header]:
    """The original headers with the error extensions set (replacing older ones)."""
    drop = {f"ce_{name}" for name in EXTENSIONS}
    out: list[Header] = [(n, v) for n, v in headers if n.lower() not in drop]
    out.append(("ce_knativeerrordest", failure.dest.encode()))
    if failure.code is not None:
        out.append(("ce_knativeerrorcode", str(failure.code).encode()))
    out.append(("ce_knativeerrordata", encode_error_data(failure.body)))
    out.append(("ce_satmonattempts", str(failure.attempts).encode()))
    out.append(("ce_satmonreason", _one_line(failure.reason).encode()))
    out.append(("ce_satmonorigin", origin.encode()))
    return out


def encode_error_data(body: bytes | str | None) -> bytes:
    """Truncate to ``ERROR_DATA_MAX`` bytes, then base64 (empty when there is no body)."""
    if body is None:
        return b""
    raw = body.encode("utf-8", errors="replace") if isinstance(body, str) else body
    return base64.b64encode(raw[:ERROR_DATA_MAX])


def decode_error_data(value: bytes | str) -> bytes:
    """Inverse of :func:`encode_error_data` (for readers of the DLQ)."""
    return base64.b64decode(value)


class DeadLetterWriter:
    """Produces dead letters and waits until Kafka acknowledged every one of them."""

    def __init__(self, producer: Producer, timeout: float = 30.0) -> None:
        self._producer = producer
        self._timeout = timeout
        self._lock = threading.Lock()

    def write(self, topic: str, items: Sequence[tuple[Envelope, Failure]]) -> None:
        """Write ``items`` to ``topic``; raise TransientError unless all were acknowledged."""
        if not items:
            return
        errors: list[Any] = []
        acked = [0]

        def on_delivery(err: KafkaError | None, _msg: Any) -> None:
            if err is not None:
                errors.append(err)
            else:
                acked[0] += 1

        for env, failure in items:
            self._produce(topic, env, failure, on_delivery)
        with self._lock:
            remaining = self._producer.flush(self._timeout)
        if errors or acked[0] < len(items):
            raise TransientError(
                f"dead letter write to {topic} incomplete: {acked[0]}/{len(items)} acknowledged, "
                f"{remaining} queued, errors {errors[:3]}"
            )
        for env, failure in items:
            log.warning("dead-lettered %s to %s: %s", env.origin, topic, failure.reason)

    def _produce(self, topic: str, env: Envelope, failure: Failure, callback: Any) -> None:
        headers = dead_letter_headers(env.headers, failure, env.origin)
        while True:
            try:
                self._producer.produce(
                    topic, value=env.value, key=env.key, headers=headers, on_delivery=callback
                )
                return
            except BufferError:
                self._producer.poll(0.1)


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line[:limit]
