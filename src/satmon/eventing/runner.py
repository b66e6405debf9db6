"""One subscription's consumer: Kafka records in, units out to a worker pool, commits.

The consumer loop (:meth:`SubscriptionRunner.run`) only fetches, hands records to the
:class:`~satmon.eventing.lanes.Scheduler`, pauses the partitions while too much is
buffered and commits what :mod:`.offsets` allows. Workers deliver units through
:class:`~satmon.eventing.outcomes.Outcomes` and ask the scheduler for the next one.
``max_events_per_second`` (``satmon.io/max-events-per-second``) spaces units out
(:mod:`.pacing`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from satmon.clients.kafka import make_consumer, make_producer
from satmon.eventing.dlq import DeadLetterWriter
from satmon.eventing.lanes import PartitionKey, Scheduler, Unit, unit_events
from satmon.eventing.outcomes import DeliveredHook, Outcomes, Stats
from satmon.eventing.pacing import Pacer
from satmon.eventing.probe import wait_for_sink
from satmon.eventing.records import Envelope, decode_message
from satmon.eventing.sender import Abandoned, Sender
from satmon.eventing.topology import Subscription
from satmon.settings import Settings, get_settings

log = logging.getLogger(__name__)

CONSUMER_CONFIG: dict[str, Any] = {
    # a crashed dispatcher's partitions move on after 10 s, not 45 s
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 2000,
    # fetch.wait.max.ms stays at its default: the broker answers a waiting fetch as soon
    # as a record arrives, and a short wait makes an idle broker answer empty fetches
    "fetch.queue.backoff.ms": 5,
}

HELD_FETCH_MIN_WAIT_MS = 100.0
"""From this batch window on, the broker holds each fetch for the window (see
:func:`held_fetch_config`) instead of the consumer gathering the window's records."""
HELD_FETCH_MIN_BYTES = 1 << 20


def held_fetch_config(sub: Subscription) -> dict[str, Any]:
    """The consumer settings of a subscription whose batches may wait ``HELD_FETCH_MIN_WAIT_MS``
    or more (the alarm-evaluator's: 250 ms): the broker answers a fetch once it holds 1 MiB
    or the batch window has passed, so a trickle of records costs a few fetches a second,
    not one per record the producers send (at 1,000 events/s that was 0.03 core of the
    consumer's network thread). Empty for every other subscription."""
    if not sub.batched or sub.batch_max_wait_ms < HELD_FETCH_MIN_WAIT_MS:
        return {}
    return {
        "fetch.wait.max.ms": int(sub.batch_max_wait_ms),
        "fetch.min.bytes": HELD_FETCH_MIN_BYTES,
    }


class SubscriptionRunner:
    """Consumes one subscription's topics and delivers to its subscriber until stopped."""

    def __init__(
        self,
        sub: Subscription,
        stop: threading.Event,
        *,
        settings: Settings | None = None,
        producer: Producer | None = None,
        duplicate_rate: float = 0.0,
        on_delivered: DeliveredHook | None = None,
        commit_interval: float = 0.2,
        max_buffered: int | None = None,
        workers: int | None = None,
        consumer_overrides: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> None:
        self.sub = sub
        self.stop = stop
        self.settings = settings or get_settings()
        self.stats = Stats()
        self.commit_interval = commit_interval
        self.max_buffered = max_buffered or max(20 * sub.batch_max_events, 5000)
        self.scheduler = Scheduler(sub.ordered, sub.batch_max_events, sub.max_in_flight)
        self._own_producer = producer is None
        self._producer = producer or make_producer(self.settings, **{"linger.ms": 0})
        n_workers = workers or min(64, max(8, 3 * (1 if sub.ordered else sub.max_in_flight)))
        self._pool = ThreadPoolExecutor(n_workers, thread_name_prefix=f"deliver-{sub.name}")
        self._http = httpx.Client(
            limits=httpx.Limits(max_connections=n_workers, max_keepalive_connections=n_workers)
        )
        sender = Sender(sub.sink.url, sub.delivery, stop, self._http, batched=sub.batched)
        self.outcomes = Outcomes(
            sub,
            sender,
            DeadLetterWriter(self._producer),
            self.stats,
            stop,
            on_delivered=on_delivered,
            duplicate_rate=duplicate_rate,
            seed=seed,
        )
        rate = sub.max_events_per_second
        self._pacer = Pacer(rate, stop.wait) if rate else None
        self._paused = False
        held = held_fetch_config(sub)
        self._window_s = 0.0 if held or not sub.batched else sub.batch_max_wait_ms / 1000.0
        self._consumer_config = {
            "auto.offset.reset": sub.initial_offset,
            **CONSUMER_CONFIG,
            **held,
            **(consumer_overrides or {}),
        }
        self.ready = threading.Event()
        self.failed: BaseException | None = None

    # --- the consumer loop (STYLE.md #7) -------------------------------------------------
    def run(self) -> None:
        if not wait_for_sink(self.sub.sink.url, self.stop, self.sub.name):
            return
        consumer = make_consumer(self.sub.group, self.settings, **self._consumer_config)
        try:
            consumer.subscribe(
                list(self.sub.topics),
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_revoke,
            )
            last_commit = time.monotonic()
            while not self.stop.is_set():
                messages = self._fetch(consumer)
                if messages:
                    self._accept(messages)
                self._flow_control(consumer)
                if time.monotonic() - last_commit >= self.commit_interval:
                    self._commit(consumer, asynchronous=True)
                    last_commit = time.monotonic()
        except BaseException as exc:
            self.failed = exc
            self.stop.set()
            raise
        finally:
            self._shutdown(consumer)

    def _fetch(self, consumer: Consumer) -> list[Any]:
        """Block up to 100 ms for the first record, then take what the batch window brings
        (where the broker holds fetches for the window, what has arrived)."""
        first = consumer.poll(0.1)
        if first is None:
            return []
        want = max(self.sub.batch_max_events, 100) - 1
        return [first, *consumer.consume(want, self._window_s)]

    def _accept(self, messages: Sequence[Any]) -> None:
        """Decode and filter a fetch, grouped by partition (records of one partition
        arrive in offset order), then queue it and start the units it allows."""
        fetched: dict[PartitionKey, tuple[list[Envelope], int]] = {}
        fetched_at = time.time()
        accept = self.sub.accept
        received = filtered = 0
        for message in messages:
            error = message.error()
            if error is not None:
                self._consumer_error(error)
                continue
            env = decode_message(message, fetched_at)
            received += 1
            key = (env.topic, env.partition)
            group = fetched.get(key)
            if group is None:
                group = fetched[key] = ([], env.offset + 1)
            elif env.offset >= group[1]:
                fetched[key] = group = (group[0], env.offset + 1)
            if env.error is None and not accept(env.attrs):
                filtered += 1
                continue
            group[0].append(env)
        with self.stats.lock:
            self.stats.received += received
            self.stats.filtered += filtered
        for unit in self.scheduler.queue(fetched):
            self._pool.submit(self._work, unit)

    def _consumer_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError._PARTITION_EOF:
            return
        if error.fatal():
            raise KafkaException(error)
        log.warning("consumer error on %s: %s", self.sub.name, error)

    # --- a worker --------------------------------------------------------------------------
    def _work(self, unit: Unit) -> None:
        """Deliver units until the scheduler has none left for this worker."""
        while unit:
            envs = unit_events(unit)
            try:
                if self._pacer is not None and not self._pacer.admit(len(envs)):
                    raise Abandoned()
                self.outcomes.deliver(envs)
            except Abandoned:
                self.scheduler.abandon(unit)
                return
            except Exception:
                log.exception(
                    "delivery of %d event(s) on %s failed; will be redelivered",
                    len(envs),
                    self.sub.name,
                )
                self.scheduler.halt(unit)
                self.stop.set()
                return
            unit = self.scheduler.finish(unit)

    # --- offsets, flow control, rebalances -------------------------------------------------
    def _commit(self, consumer: Consumer, asynchronous: bool) -> None:
        moved = self.scheduler.advance()
        if not moved:
            return
        with self.stats.lock:
            for topic, partition, position in moved:
                self.stats.committed[f"{topic}/{partition}"] = position
        offsets = [TopicPartition(t, p, position) for t, p, position in moved]
        try:
            if asynchronous:  # two calls: confluent-kafka's stubs type each literal apart
                consumer.commit(offsets=offsets, asynchronous=True)
            else:
                consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            log.warning("commit failed on %s: %s", self.sub.name, exc)

    def _flow_control(self, consumer: Consumer) -> None:
        """Pause every partition while too many events wait for a unit; resume at half."""
        buffered = self.scheduler.buffered
        if not self._paused and buffered >= self.max_buffered:
            parts = [TopicPartition(t, p) for t, p in self.scheduler.partitions()]
            if parts:
                consumer.pause(parts)
                self._paused = True
        elif self._paused and buffered < self.max_buffered // 2:
            parts = [TopicPartition(t, p) for t, p in self.scheduler.partitions()]
            if parts:
                consumer.resume(parts)
            self._paused = False

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.scheduler.assign((tp.topic, tp.partition) for tp in partitions)
        self._paused = False
        self.ready.set()
        log.info("%s assigned %s", self.sub.name, [f"{p.topic}/{p.partition}" for p in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._commit(consumer, asynchronous=False)
        self.scheduler.revoke((tp.topic, tp.partition) for tp in partitions)

    def _shutdown(self, consumer: Consumer) -> None:
        """Let in-flight units finish (or abandon at their next wait), commit, close."""
        self.scheduler.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            self._commit(consumer, asynchronous=False)
        finally:
            consumer.close()
            self._http.close()
            if self._own_producer:
                self._producer.flush(10)
