"""What becomes of a unit: delivered, or dead-lettered with its reason, and counted.

:meth:`Outcomes.deliver` sends a unit's deliverable events (:mod:`.sender`, with the
subscription's retries), writes those that failed for good — and the records that never
formed a CloudEvent — to the dead-letter topic, and returns only once both are durable:
the unit's offsets may then be committed. ``duplicate_rate`` re-sends that share of the
delivered events once more, so idempotency bugs show up.

A dead letter is not dead-lettered again: an event read from a ``<topic>.dlq`` topic
that its subscriber did not take (the dead-letter-store while PostgreSQL is down longer
than its retries last) has no further topic to go to, so it is delivered again after a
pause, until it is taken — losing none and, once the subscriber is back, blocking
nothing. A subscription with a ``deadLetterSink`` of its own still uses it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from satmon.contract.events import DLQ_SUFFIX, dlq_topic
from satmon.errors import TransientError
from satmon.eventing.dlq import DeadLetterWriter, Failure
from satmon.eventing.invalid_records import wrap_invalid_record
from satmon.eventing.records import Envelope
from satmon.eventing.sender import Abandoned, Sender, Verdict
from satmon.eventing.topology import Subscription

log = logging.getLogger(__name__)
REDELIVER_PAUSE_S = 10.0
"""The pause before a dead letter its subscriber did not take is delivered again."""
DeliveredHook = Callable[[Sequence[Envelope], float, float], None]
"""Called with the delivered events, when their request started and when its 2xx
arrived (epoch s); with each event's ``fetched_at`` that splits where it waited."""


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
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


class Outcomes:
    def __init__(
        self,
        sub: Subscription,
        sender: Sender,
        dead_letters: DeadLetterWriter,
        stats: Stats,
        stop: threading.Event,
        *,
        on_delivered: DeliveredHook | None = None,
        duplicate_rate: float = 0.0,
        seed: int | None = None,
        redeliver_pause_s: float = REDELIVER_PAUSE_S,
    ) -> None:
        self.sub = sub
        self.sender = sender
        self.dead_letters = dead_letters
        self.stats = stats
        self.stop = stop
        self.on_delivered = on_delivered
        self.duplicate_rate = duplicate_rate
        self._random = random.Random(seed)
        self.redeliver_pause_s = redeliver_pause_s

    def deliver(self, unit: Sequence[Envelope]) -> None:
        """Deliver or dead-letter every event of ``unit``; raises Abandoned when stopping."""
        if self.sub.wrap_invalid:  # Knative's KafkaSource: non-CloudEvents delivered wrapped
            unit = [e if e.error is None else self._wrap(e) for e in unit]
        poison = [e for e in unit if e.error is not None]
        good = [e for e in unit if e.error is None] if poison else unit
        sent_at = time.time()
        verdict = self.sender.send(good) if good else Verdict()
        if verdict.dead and self.sub.dead_letter_topic is None:
            verdict = self._redeliver_dead_letters(verdict)
        done_at = time.time()
        dead = verdict.dead + [
            (e, Failure(self.sub.sink.url, f"undeliverable record: {e.error}", 0)) for e in poison
        ]
        self._dead_letter(dead)
        with self.stats.lock:
            self.stats.units += 1
            self.stats.delivered += len(verdict.delivered)
            self.stats.dead_lettered += len(dead)
            self.stats.attempts += verdict.attempts
            self.stats.retries += verdict.retries
        if verdict.delivered and self.on_delivered is not None:
            self.on_delivered(verdict.delivered, sent_at, done_at)
        if verdict.delivered and self.duplicate_rate > 0:
            self._send_duplicates(verdict.delivered)

    def _redeliver_dead_letters(self, verdict: Verdict) -> Verdict:
        """The verdict once every event of a dead-letter topic was taken (see the module)."""
        stuck = [(e, f) for e, f in verdict.dead if e.topic.endswith(DLQ_SUFFIX)]
        if not stuck:
            return verdict
        out = Verdict(
            list(verdict.delivered),
            [(e, f) for e, f in verdict.dead if not e.topic.endswith(DLQ_SUFFIX)],
            verdict.attempts,
            verdict.retries,
        )
        while stuck:
            log.error(
                "%d dead letter(s) not taken by %s after %d attempts (%s): no topic is left for"
                " them, delivering them again in %.0f s",
                len(stuck),
                self.sub.sink.url,
                stuck[0][1].attempts,
                stuck[0][1].reason,
                self.redeliver_pause_s,
                extra={"event_id": stuck[0][0].attrs.get("id")},
            )
            if self.stop.wait(self.redeliver_pause_s):
                raise Abandoned()
            again = self.sender.send([e for e, _ in stuck])
            out.delivered += again.delivered
            out.attempts += again.attempts
            out.retries += again.retries
            stuck = again.dead
        return out

    def _wrap(self, env: Envelope) -> Envelope:
        return wrap_invalid_record(env, self.sub.name, self.sub.namespace)

    def _dead_letter(self, dead: list[tuple[Envelope, Failure]]) -> None:
        """Write to each record's dead-letter topic, retrying until Kafka has them all."""
        by_topic: dict[str, list[tuple[Envelope, Failure]]] = {}
        for env, failure in dead:
            topic = self.sub.dead_letter_topic or dlq_topic(env.topic)
            by_topic.setdefault(topic, []).append((env, failure))
        for topic, items in by_topic.items():
            attempt = 0
            while True:
                try:
                    self.dead_letters.write(topic, items)
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
            self.sender.send(chosen)
        except Abandoned:
            return
        with self.stats.lock:
            self.stats.duplicates_sent += len(chosen)
