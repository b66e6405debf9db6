"""The live telemetry feed behind ``/stream/telemetry``: one Kafka follower per process,
however many clients listen.

The follower (a thread) reads ``satellite-telemetry`` from the end, without a consumer
group's commits, and hands each batch to the event loop, which fans samples out to the
subscribers' bounded queues. It starts with the first subscriber and stops once none
has listened for ``IDLE_STOP_S``. A client too slow to keep up loses the oldest samples
and is told how many (it is never allowed to hold the others back).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import TopicPartition

from satmon.clients.kafka import make_consumer
from satmon.contract.events import TOPIC_TELEMETRY, EventError, parse_telemetry
from satmon.settings import Settings

log = logging.getLogger(__name__)
QUEUE_SIZE = 1000
IDLE_STOP_S = 30.0
BATCH = 500


@dataclass(eq=False)
class Subscriber:
    satellite: str | None
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: int = 0

    def offer(self, sample: dict[str, Any]) -> None:
        if self.queue.full():  # drop the oldest: a live view wants the newest
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(sample)


class TelemetryFeed:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._subscribers: set[Subscriber] = set()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ready = asyncio.Event()
        """Set once the follower sits at the end of every partition."""
        self._last_listener = time.monotonic()

    def subscribe(self, satellite: str | None) -> Subscriber:
        """Called on the event loop; starts the follower if it is not running."""
        subscriber = Subscriber(satellite)
        self._subscribers.add(subscriber)
        if self._thread is None or not self._thread.is_alive():
            self._loop = asyncio.get_running_loop()
            self.ready = asyncio.Event()
            self._stop.clear()
            self._thread = threading.Thread(target=self._follow, name="api-feed", daemon=True)
            self._thread.start()
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        self._last_listener = time.monotonic()

    @property
    def listeners(self) -> int:
        return len(self._subscribers)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)

    # --- on the event loop ------------------------------------------------------------
    def _publish(self, samples: Sequence[dict[str, Any]]) -> None:
        for subscriber in tuple(self._subscribers):
            wanted = subscriber.satellite
            for sample in samples:
                if wanted is None or sample["satellite_id"] == wanted:
                    subscriber.offer(sample)

    # --- on the follower thread -------------------------------------------------------
    def _follow(self) -> None:
        consumer = make_consumer(
            f"satmon-api-feed-{uuid.uuid4()}", self.settings, **{"log_level": 3}
        )
        try:
            self._seek_to_end(consumer)
            while not self._stop.is_set() and not self._idle():
                messages = consumer.consume(BATCH, timeout=0.25)
                batch = self._decode(m for m in messages if m.error() is None)
                if batch and self._loop is not None:
                    self._loop.call_soon_threadsafe(self._publish, batch)
        except Exception:
            log.exception("telemetry feed stopped")
        finally:
            consumer.close()

    def _seek_to_end(self, consumer: Any) -> None:
        """Assign every partition at its current end, then tell the loop it is live."""
        while not self._stop.is_set():
            try:
                meta = consumer.list_topics(TOPIC_TELEMETRY, timeout=5.0)
                partitions = sorted(meta.topics[TOPIC_TELEMETRY].partitions)
                ends = [
                    consumer.get_watermark_offsets(TopicPartition(TOPIC_TELEMETRY, p), timeout=5)[1]
                    for p in partitions
                ]
                break
            except Exception as exc:  # Kafka down: keep trying while somebody listens
                log.warning("telemetry feed waits for Kafka: %s", exc)
                if self._idle():
                    return
                self._stop.wait(1.0)
        else:
            return
        consumer.assign(
            [
                TopicPartition(TOPIC_TELEMETRY, p, end)
                for p, end in zip(partitions, ends, strict=True)
            ]
        )
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.ready.set)

    def _decode(self, messages: Any) -> list[dict[str, Any]]:
        wanted = {s.satellite for s in tuple(self._subscribers)}
        everything = None in wanted
        out = []
        for message in messages:
            key = message.key()
            if not everything and (key is None or key.decode(errors="replace") not in wanted):
                continue
            try:
                out.append(parse_telemetry(message.value()).to_json_dict())
            except EventError:
                continue  # the writer dead-letters it; a live view just skips it
        return out

    def _idle(self) -> bool:
        return not self._subscribers and time.monotonic() - self._last_listener > IDLE_STOP_S
