"""The local dispatcher: Kafka → HTTP subscribers, as Knative Eventing would deliver.

One :class:`SubscriptionRunner` (one consumer, one thread) per KafkaSource / Trigger.
Records are decoded (:mod:`.records`), filtered on attributes, grouped per partition
into *lanes* and handed to a worker pool in *units* (one event, or a batch of up to
``batch_max_events`` for subscribers that accept batched mode):

* ``ordered`` — one unit in flight per partition, made of that partition's events; the
  next waits for success or dead-lettering (KafkaSource default);
* ``unordered`` — units draw on every assigned partition (one batch per batch window,
  not one per partition: at a low rate this divides the number of requests by the
  number of partitions), up to ``max_in_flight`` units per assigned partition at once.

Offsets are tracked as ranges, not per event: each fetch queues one :class:`Segment`
per partition, a unit takes slices of segments, and each slice gets a :class:`Span` of
offsets (up to its last event, or to the segment's end for the last slice, so records
filtered out in between are covered). The commit position of a partition only moves
past leading spans whose events were delivered or dead-lettered, so a crash or a stop
loses nothing (at least once). When too much is buffered the partitions are paused.
``duplicate_rate`` re-sends that share of delivered events once more, so idempotency bugs
show up. ``max_events_per_second`` (``satmon.io/max-events-per-second``) spaces units out
(:mod:`.pacing`).
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from satmon.clients.kafka import make_consumer, make_producer
from satmon.contract.events import dlq_topic
from satmon.errors import TransientError
from satmon.eventing.dlq import DeadLetterWriter, Failure
from satmon.eventing.invalid_records import wrap_invalid_record
from satmon.eventing.manifests import Subscription
from satmon.eventing.pacing import Pacer
from satmon.eventing.records import Envelope, decode_message
from satmon.eventing.sender import Abandoned, Sender, Verdict
from satmon.settings import Settings, get_settings

log = logging.getLogger(__name__)
DeliveredHook = Callable[[Sequence[Envelope], float], None]


@dataclass
class Stats:
    received: int = 0
    delivered: int = 0
    filtered: int = 0
    dead_lettered: int = 0
    retries: int = 0
    attempts: int = 0
    duplicates_sent: int = 0
    units: int = 0
    committed: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class Segment:
    """The records of one partition that one fetch brought, not yet all in units:
    offsets up to ``end`` (exclusive) and the events to deliver (filtered ones left out)."""

    end: int
    envs: list[Envelope]
    taken: int = 0  # envs[:taken] are in units already


@dataclass(slots=True, eq=False)
class Span:
    """The offsets of one partition that one unit answers for, up to ``end`` (exclusive)."""

    end: int
    done: bool = False


class OffsetTracker:
    """Spans of one partition in offset order; commit position = end of the last leading
    done span. Events still queued have no span yet, so nothing passes them."""

    def __init__(self) -> None:
        self._spans: deque[Span] = deque()
        self.position: int | None = None  # next offset to commit

    def add(self, span: Span) -> None:
        self._spans.append(span)

    def advance(self) -> int | None:
        """Move past the leading done spans; returns the new position when it moved."""
        moved = False
        spans = self._spans
        while spans and spans[0].done:
            self.position = spans.popleft().end
            moved = True
        return self.position if moved else None

    def outstanding(self) -> int:
        return sum(1 for s in self._spans if not s.done)


@dataclass(eq=False)
class Lane:
    """One assigned partition: segments with events not yet in a unit, units in
    flight (ordered subscriptions) and its offsets."""

    topic: str
    partition: int
    queue: deque[Segment] = field(default_factory=deque)
    pending: int = 0
    in_flight: int = 0
    tracker: OffsetTracker = field(default_factory=OffsetTracker)
    revoked: bool = False


Part = tuple[Lane, Span, list[Envelope]]
"""A slice of one segment's events inside a unit, with its offsets."""


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
        self.duplicate_rate = duplicate_rate
        self.on_delivered = on_delivered
        self.commit_interval = commit_interval
        self.max_buffered = max_buffered or max(20 * sub.batch_max_events, 5000)
        self._random = random.Random(seed)
        self._own_producer = producer is None
        self._producer = producer or make_producer(self.settings, **{"linger.ms": 0})
        self._dlq = DeadLetterWriter(self._producer)
        n_workers = workers or min(64, max(8, 3 * (1 if sub.ordered else sub.max_in_flight)))
        self._pool = ThreadPoolExecutor(n_workers, thread_name_prefix=f"deliver-{sub.name}")
        self._http = httpx.Client(
            limits=httpx.Limits(max_connections=n_workers, max_keepalive_connections=n_workers)
        )
        self._sender = Sender(sub.sink.url, sub.delivery, stop, self._http)
        rate = sub.max_events_per_second
        self._pacer = Pacer(rate, stop.wait) if rate else None
        self._lock = threading.RLock()
        self._lanes: dict[tuple[str, int], Lane] = {}
        self._buffered = 0
        self._in_flight = 0  # units in flight (unordered subscriptions)
        self._turn = 0
        self._paused = False
        self._consumer_overrides = consumer_overrides or {}
        self.ready = threading.Event()
        self.failed: BaseException | None = None

    # --- the consumer loop (STYLE.md #7) ---------------------------------------------------
    def run(self) -> None:
        if not self._wait_for_sink():
            return
        consumer = make_consumer(
            self.sub.group,
            self.settings,
            **{
                "auto.offset.reset": self.sub.initial_offset,
                # a crashed dispatcher's partitions move on after 10 s, not 45 s
                "session.timeout.ms": 10000,
                "heartbeat.interval.ms": 2000,
                # no fetch.wait.max.ms override: the broker answers a waiting fetch as soon
                # as a record arrives, so the default 500 ms adds no latency, while 10 ms
                # made an idle broker answer 100 empty fetches a second per subscription
                "fetch.queue.backoff.ms": 5,
                **self._consumer_overrides,
            },
        )
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

    def _wait_for_sink(self) -> bool:
        """Consume nothing until the subscriber accepts connections (it may start later
        than the dispatcher); without this, early events would burn their retries."""
        url = httpx.URL(self.sub.sink.url)
        address = (url.host, url.port or (443 if url.scheme == "https" else 80))
        warned = False
        while not self.stop.is_set():
            try:
                with socket.create_connection(address, timeout=1.0):
                    return True
            except OSError:
                if not warned:
                    log.warning(
                        "%s: waiting for %s to accept connections", self.sub.name, self.sub.sink.url
                    )
                    warned = True
            self.stop.wait(0.5)
        return False

    def _fetch(self, consumer: Consumer) -> list[Any]:
        """Block up to 100 ms for the first record, then take what the batch window brings."""
        first = consumer.poll(0.1)
        if first is None:
            return []
        want = max(self.sub.batch_max_events, 100) - 1
        wait = self.sub.batch_max_wait_ms / 1000.0 if self.sub.batched else 0.0
        return [first, *consumer.consume(want, wait)]

    def _accept(self, messages: Sequence[Any]) -> None:
        # decode and filter outside the lock (workers keep going meanwhile), grouped by
        # partition: records of one partition arrive in offset order
        groups: dict[tuple[str, int], tuple[list[Envelope], int]] = {}
        accept = self.sub.accept
        received = filtered = 0
        for message in messages:
            error = message.error()
            if error is not None:
                self._consumer_error(error)
                continue
            env = decode_message(message)
            received += 1
            key = (env.topic, env.partition)
            group = groups.get(key)
            if group is None:
                group = groups[key] = ([], env.offset + 1)
            elif env.offset >= group[1]:
                groups[key] = group = (group[0], env.offset + 1)
            if env.error is None and not accept(env.attrs):
                filtered += 1
                continue
            group[0].append(env)
        with self._lock:
            self.stats.received += received
            self.stats.filtered += filtered
            touched = []
            for key, (envs, end) in groups.items():
                lane = self._lanes.get(key)
                if lane is None:  # assignment changed under us; Kafka will redeliver
                    continue
                if envs:
                    lane.queue.append(Segment(end, envs))
                    lane.pending += len(envs)
                    self._buffered += len(envs)
                    touched.append(lane)
                elif lane.queue:  # all filtered out: done once the events before them are
                    lane.queue[-1].end = end
                else:
                    lane.tracker.add(Span(end, done=True))
            if touched:
                self._pump(touched)

    def _consumer_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError._PARTITION_EOF:
            return
        if error.fatal():
            raise KafkaException(error)
        log.warning("consumer error on %s: %s", self.sub.name, error)

    # --- lanes and units ---------------------------------------------------------------------
    def _pump(self, touched: Sequence[Lane]) -> None:
        """Start units while the in-flight limits allow (lock held)."""
        if self.sub.ordered:
            for lane in touched:
                while lane.pending and lane.in_flight < 1 and not lane.revoked:
                    lane.in_flight += 1
                    self._pool.submit(self._work, self._take_unit((lane,)))
            return
        while self._buffered > 0 and self._in_flight < self._unordered_limit():
            unit = self._take_unit(self._rotated_lanes())
            if not unit:
                return
            self._in_flight += 1
            self._pool.submit(self._work, unit)

    def _rotated_lanes(self) -> list[Lane]:
        """Every lane, starting one further each time, so no partition starves."""
        lanes = list(self._lanes.values())
        if len(lanes) > 1:
            self._turn = (self._turn + 1) % len(lanes)
            lanes = lanes[self._turn :] + lanes[: self._turn]
        return lanes

    def _unordered_limit(self) -> int:
        return self.sub.max_in_flight * max(len(self._lanes), 1)

    def _take_unit(self, lanes: Sequence[Lane]) -> list[Part]:
        """Up to ``batch_max_events`` events, oldest segments of each lane first (lock held)."""
        room = self.sub.batch_max_events
        parts: list[Part] = []
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
                self._buffered -= n
                room -= n
                parts.append((lane, span, envs))
            if not room:
                break
        return parts

    def _work(self, unit: list[Part]) -> None:
        """Deliver units until there is nothing left for this worker."""
        while unit:
            envs = unit[0][2] if len(unit) == 1 else [e for part in unit for e in part[2]]
            try:
                if self._pacer is not None and not self._pacer.admit(len(envs)):
                    raise Abandoned()
                self._deliver(envs)
            except Abandoned:
                with self._lock:
                    self._release(unit)
                return
            except Exception:
                log.exception(
                    "delivery of %d event(s) on %s failed; will be redelivered",
                    len(envs),
                    self.sub.name,
                )
                with self._lock:
                    for lane, _, _ in unit:
                        lane.revoked = True  # stop this lane; its offsets stay uncommitted
                    self._release(unit)
                self.stop.set()
                return
            with self._lock:
                for _, span, _ in unit:
                    span.done = True
                unit = self._next_unit(unit)

    def _next_unit(self, finished: list[Part]) -> list[Part]:
        """The next unit for a worker that just finished ``finished`` (lock held); an empty
        list releases the worker's in-flight slot."""
        if self.sub.ordered:
            lane = finished[0][0]
            if lane.pending and not lane.revoked:
                return self._take_unit((lane,))
        elif self._buffered > 0 and self._in_flight <= self._unordered_limit():
            unit = self._take_unit(self._rotated_lanes())
            if unit:
                return unit
        self._release(finished)
        return []

    def _release(self, unit: list[Part]) -> None:
        if self.sub.ordered:
            unit[0][0].in_flight -= 1
        else:
            self._in_flight -= 1

    def _deliver(self, unit: list[Envelope]) -> None:
        if self.sub.wrap_invalid:  # Knative's KafkaSource: non-CloudEvents delivered wrapped
            unit = [e if e.error is None else self._wrap(e) for e in unit]
        poison = [e for e in unit if e.error is not None]
        good = [e for e in unit if e.error is None]
        verdict = Verdict()
        if good:
            if self.sub.batched:
                verdict = self._sender.send_batch(good)
            else:
                for env in good:
                    one = self._sender.send_one(env)
                    verdict.delivered += one.delivered
                    verdict.dead += one.dead
                    verdict.attempts += one.attempts
                    verdict.retries += one.retries
        done_at = time.time()
        dead = verdict.dead + [
            (e, Failure(self.sub.sink.url, f"undeliverable record: {e.error}", 0)) for e in poison
        ]
        self._dead_letter(dead)
        with self._lock:
            self.stats.units += 1
            self.stats.delivered += len(verdict.delivered)
            self.stats.dead_lettered += len(dead)
            self.stats.attempts += verdict.attempts
            self.stats.retries += verdict.retries
        if verdict.delivered and self.on_delivered is not None:
            self.on_delivered(verdict.delivered, done_at)
        if verdict.delivered and self.duplicate_rate > 0:
            self._send_duplicates(verdict.delivered)

    def _wrap(self, env: Envelope) -> Envelope:
        return wrap_invalid_record(env, self.sub.name, self.sub.namespace)

    def _dead_letter(self, dead: list[tuple[Envelope, Failure]]) -> None:
        by_topic: dict[str, list[tuple[Envelope, Failure]]] = {}
        for env, failure in dead:
            topic = self.sub.dead_letter_topic or dlq_topic(env.topic)
            by_topic.setdefault(topic, []).append((env, failure))
        for topic, items in by_topic.items():
            attempt = 0
            while True:
                try:
                    self._dlq.write(topic, items)
                    break
                except TransientError as exc:
                    attempt += 1
                    log.warning("dead-letter write failed (%s); retry %d", exc, attempt)
                    if self.stop.wait(min(0.2 * 2**attempt, 10.0)):
                        raise Abandoned() from exc

    def _send_duplicates(self, delivered: Sequence[Envelope]) -> None:
        chosen = [e for e in delivered if self._random.random() < self.duplicate_rate]
        if not chosen:
            return
        try:
            if self.sub.batched:
                self._sender.send_batch(chosen)
            else:
                for env in chosen:
                    self._sender.send_one(env)
        except Abandoned:
            return
        with self._lock:
            self.stats.duplicates_sent += len(chosen)

    # --- offsets, flow control, rebalances ------------------------------------------------
    def _commit(self, consumer: Consumer, asynchronous: bool) -> None:
        offsets = []
        with self._lock:
            for lane in self._lanes.values():
                position = lane.tracker.advance()
                if position is not None:
                    offsets.append(TopicPartition(lane.topic, lane.partition, position))
                    self.stats.committed[f"{lane.topic}/{lane.partition}"] = position
        if offsets:
            try:
                if asynchronous:
                    consumer.commit(offsets=offsets, asynchronous=True)
                else:
                    consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as exc:
                log.warning("commit failed on %s: %s", self.sub.name, exc)

    def _flow_control(self, consumer: Consumer) -> None:
        with self._lock:
            buffered = self._buffered
            parts = [TopicPartition(lane.topic, lane.partition) for lane in self._lanes.values()]
        if not self._paused and buffered >= self.max_buffered and parts:
            consumer.pause(parts)
            self._paused = True
        elif self._paused and buffered < self.max_buffered // 2:
            if parts:
                consumer.resume(parts)
            self._paused = False

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        with self._lock:
            for tp in partitions:
                self._lanes[(tp.topic, tp.partition)] = Lane(tp.topic, tp.partition)
        self._paused = False
        self.ready.set()
        log.info("%s assigned %s", self.sub.name, [f"{p.topic}/{p.partition}" for p in partitions])

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._commit(consumer, asynchronous=False)
        with self._lock:
            for tp in partitions:
                lane = self._lanes.pop((tp.topic, tp.partition), None)
                if lane is not None:
                    lane.revoked = True
                    self._buffered -= lane.pending
                    lane.pending = 0
                    lane.queue.clear()

    def _shutdown(self, consumer: Consumer) -> None:
        """Let in-flight units finish (or abandon at their next wait), commit, close."""
        with self._lock:
            for lane in self._lanes.values():
                self._buffered -= lane.pending
                lane.pending = 0
                lane.queue.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
        try:
            self._commit(consumer, asynchronous=False)
        finally:
            consumer.close()
            self._http.close()
            if self._own_producer:
                self._producer.flush(10)


class Dispatcher:
    """Runs every subscription of a topology in its own thread until ``stop`` is set."""

    def __init__(
        self,
        subscriptions: Sequence[Subscription],
        stop: threading.Event | None = None,
        **runner_options: Any,
    ) -> None:
        self.stop = stop or threading.Event()
        settings = runner_options.pop("settings", None) or get_settings()
        self._producer = make_producer(settings, **{"linger.ms": 0})
        self.runners = [
            SubscriptionRunner(
                sub, self.stop, settings=settings, producer=self._producer, **runner_options
            )
            for sub in subscriptions
        ]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for runner in self.runners:
            thread = threading.Thread(
                target=self._run_one, args=(runner,), name=f"sub-{runner.sub.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def wait_ready(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(r.ready.wait(max(deadline - time.monotonic(), 0)) for r in self.runners)

    def join(self, timeout: float | None = None) -> None:
        for thread in self._threads:
            thread.join(timeout)
        self._producer.flush(10)

    def run_forever(self) -> None:
        self.start()
        try:
            while not self.stop.wait(0.5):
                pass
        finally:
            self.stop.set()
            self.join()

    def stats(self) -> dict[str, Stats]:
        return {r.sub.name: r.stats for r in self.runners}

    @property
    def failed(self) -> list[BaseException]:
        return [r.failed for r in self.runners if r.failed is not None]

    @staticmethod
    def _run_one(runner: SubscriptionRunner) -> None:
        try:
            runner.run()
        except BaseException:
            log.exception("subscription %s stopped with an error", runner.sub.name)
