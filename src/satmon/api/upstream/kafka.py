"""Kafka for the API: an idempotent acks=all producer whose acknowledgements are awaited.

One producer per process. A thread polls it; each delivery report resolves the
awaiting request's future on the event loop, so a request waits only for its own
record and never blocks the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from cloudevents.http import CloudEvent
from confluent_kafka import KafkaException

from satmon.api.problems import Unavailable
from satmon.clients.kafka import make_producer
from satmon.contract.events import to_kafka
from satmon.settings import Settings

log = logging.getLogger(__name__)
NAME = "Kafka"


def producer_config(settings: Settings) -> dict[str, Any]:
    """The API producer's settings on top of ``make_producer``'s (the benchmark uses them)."""
    return {
        "linger.ms": settings.api_kafka_linger_ms,
        # a broker that is down fails the delivery within the submit's wait, not 5 min later
        "message.timeout.ms": int(settings.api_submit_timeout_s * 1000),
        "log_level": 3,
    }


class Publisher:
    """``await publish(topic, event)`` returns once Kafka acknowledged the record."""

    def __init__(self, settings: Settings) -> None:
        self.timeout_s = settings.api_submit_timeout_s
        self.producer = make_producer(settings, **producer_config(settings))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="api-kafka-poll", daemon=True)
        self._thread.start()

    async def publish(self, topic: str, event: CloudEvent) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def on_delivery(err: Any, _msg: Any) -> None:
            loop.call_soon_threadsafe(_settle, done, err)

        key, value, headers = to_kafka(event)
        try:
            self.producer.produce(
                topic, value=value, key=key, headers=headers, on_delivery=on_delivery
            )
        except BufferError as exc:
            raise Unavailable(NAME, "the producer's queue is full") from exc
        except KafkaException as exc:
            raise Unavailable(NAME, str(exc)) from exc
        try:
            await asyncio.wait_for(done, self.timeout_s + 1.0)
        except TimeoutError as exc:
            raise Unavailable(NAME, f"no acknowledgement within {self.timeout_s:g} s") from exc

    def ping(self, timeout_s: float = 2.0) -> str | None:
        """None when a broker answers a metadata request, else why not (blocking)."""
        try:
            self.producer.list_topics(timeout=timeout_s)
        except KafkaException as exc:
            return f"no broker answered within {timeout_s:g} s ({exc.args[0] if exc.args else exc})"
        return None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        left = self.producer.flush(5.0)
        if left:
            log.warning("%d records still unacknowledged at shutdown", left)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.producer.poll(0.1)


def _settle(done: asyncio.Future[None], err: Any) -> None:
    if done.done():
        return
    if err is None:
        done.set_result(None)
    else:
        done.set_exception(Unavailable(NAME, f"delivery failed: {err}"))
