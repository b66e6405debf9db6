"""Kafka output: telemetry as CloudEvents (binary mode), paced to the wall clock.

Event ids are ``uuid5(NAMESPACE_URL, "<satellite>/<timestamp ms>")``, the same id
``satmon.contract.events.from_kafka`` gives a plain record of that sample, so a rerun with the same
seed and start re-sends the same events and downstream deduplication drops them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, Message

from satmon.clients.kafka import make_producer
from satmon.contract.events import TOPIC_TELEMETRY, Telemetry, telemetry_event, to_kafka
from satmon.settings import get_settings

log = logging.getLogger(__name__)
PRODUCER_CONFIG: dict[str, Any] = {
    "linger.ms": 20,  # let a tick's samples (and backfill) travel in one batch
    "batch.num.messages": 10_000,
    "queue.buffering.max.messages": 200_000,
    "message.timeout.ms": 60_000,  # a delivery failing for a minute is reported, not retried
}


def event_id(sample: Telemetry) -> str:
    """Deterministic CloudEvent id of a sample (satellite + timestamp in ms)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{sample.satellite_id}/{sample.timestamp_ms}"))


@dataclass
class TelemetrySender:
    """Queues samples on a producer and counts what the broker confirmed or refused."""

    producer: Any  # confluent_kafka.Producer (or a stand-in with the same methods)
    topic: str = TOPIC_TELEMETRY
    bootstrap: str = ""
    queued: int = 0
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def send(self, sample: Telemetry) -> None:
        key, value, headers = to_kafka(telemetry_event(sample, event_id(sample)))
        while True:
            try:
                self.producer.produce(
                    self.topic, key=key, value=value, headers=headers, on_delivery=self._on_delivery
                )
                break
            except BufferError:  # local queue full: let deliveries drain, then retry
                self.producer.poll(0.5)
        self.queued += 1
        self.producer.poll(0)

    def check_broker(self, timeout_s: float = 10.0) -> None:
        """Raise KafkaException when no broker answers within ``timeout_s``."""
        topics = self.producer.list_topics(timeout=timeout_s).topics
        if self.topic not in topics:
            log.warning("topic %s does not exist yet; relying on broker auto-creation", self.topic)

    def close(self, timeout_s: float = 90.0) -> None:
        """Flush; anything still undelivered after ``timeout_s`` counts as failed."""
        left = self.producer.flush(timeout_s)
        if left:
            self.failed += left
            self.errors.append(f"{left} events still undelivered after {timeout_s:.0f} s")

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.delivered == self.queued

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is None:
            self.delivered += 1
            return
        self.failed += 1
        if len(self.errors) < 10:
            self.errors.append(str(err))
        log.error("delivery to %s failed: %s", self.topic, err)


def make_sender(bootstrap: str | None = None, topic: str = TOPIC_TELEMETRY) -> TelemetrySender:
    """An idempotent (acks=all) producer on ``bootstrap`` (default: settings)."""
    config = dict(PRODUCER_CONFIG)
    config["bootstrap.servers"] = bootstrap or get_settings().kafka_bootstrap
    return TelemetrySender(make_producer(**config), topic, config["bootstrap.servers"])


def send_paced(
    samples: Iterable[Telemetry],
    sender: TelemetrySender,
    stop: threading.Event | None = None,
    on_sent: Callable[[Telemetry], None] | None = None,
) -> int:
    """Send samples in order; a sample whose timestamp is in the future waits for it.

    Past samples (backfill) go as fast as the producer takes them. The schedule is the
    samples' own timestamps, so live sending never drifts. ``on_sent(sample)`` is called
    after each. Returns how many were queued; stops early when ``stop`` is set.
    """
    stop = stop or threading.Event()
    sent = 0
    for sample in samples:
        wait = sample.timestamp.timestamp() - time.time()
        if wait > 0 and stop.wait(wait):
            break
        if stop.is_set():
            break
        sender.send(sample)
        sent += 1
        if on_sent:
            on_sent(sample)
    return sent
