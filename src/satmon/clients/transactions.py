"""All or nothing: a batch of CloudEvents produced in one Kafka transaction.

Consumers that read committed data only (librdkafka's default ``isolation.level``, so
the dispatcher and every satmon consumer) see either every record of the batch or
none: a batch the broker refuses halfway is aborted, and the records already written
stay invisible. Idempotent single-event produce (``delivery.deliver``) stays the fast
path; transactions cost a round trip or two more per request, so only batches pay.

A transactional producer runs one transaction at a time, so a few are kept and leased
one batch at a time. Each gets a fresh ``transactional.id``: ids shared between
processes would fence each other. The price: when a process dies inside a transaction,
nobody aborts it at once and read-committed consumers of those partitions wait until
the broker times it out (``transaction.timeout.ms``, kept short for that reason).
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from cloudevents.http import CloudEvent
from confluent_kafka import KafkaError, KafkaException, Producer

from satmon.clients.delivery import Overloaded, delivery_error, produce_error
from satmon.contract.events import to_kafka
from satmon.errors import TransientError

log = logging.getLogger(__name__)

SIZE_ERRORS = frozenset((KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE))


class TransactionalProducers:
    """Up to ``size`` transactional producers, created on first need, leased one at a time."""

    def __init__(
        self,
        config: dict[str, Any],
        size: int = 2,
        timeout_s: float = 10.0,
        factory: Callable[[dict[str, Any]], Any] = Producer,
    ) -> None:
        self.config = dict(config)
        self.size = size
        self.timeout_s = timeout_s
        self.factory = factory
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()

    @contextmanager
    def lease(self, wait_s: float) -> Iterator[Any]:
        """A producer for one transaction; Overloaded when none frees up within ``wait_s``.

        A producer whose transaction failed is not given back: after a refused record
        librdkafka's sequence numbers for that partition no longer match the broker's
        (the next transaction fails with OUT_OF_ORDER_SEQUENCE_NUMBER), so the next
        lease makes a fresh one. Failures are rare; a new producer costs one
        ``init_transactions`` round trip.
        """
        producer = self._take(wait_s)
        committed = False
        try:
            yield producer
            committed = True
        finally:
            if committed:
                self._idle.put(producer)
            else:
                self._forget()

    def _take(self, wait_s: float) -> Any:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            create = self._created < self.size
            if create:
                self._created += 1
        if create:
            try:
                return self._new()
            except Exception:
                self._forget()
                raise
        try:
            return self._idle.get(timeout=wait_s)
        except queue.Empty:
            raise Overloaded(f"all {self.size} batch producers busy for {wait_s:g} s") from None

    def _new(self) -> Any:
        timeout_ms = int(max(self.timeout_s * 2, 10.0) * 1000)
        producer = self.factory(
            {
                **self.config,
                "transactional.id": f"satmon-{uuid.uuid4().hex}",
                "transaction.timeout.ms": timeout_ms,
            }
        )
        try:
            producer.init_transactions(self.timeout_s)
        except KafkaException as exc:
            raise TransientError(f"Kafka transactions unavailable: {exc.args[0]}") from exc
        return producer

    def _forget(self) -> None:
        with self._lock:
            self._created -= 1


def deliver_atomically(
    pool: TransactionalProducers, records: Sequence[tuple[str, CloudEvent]], timeout_s: float
) -> None:
    """Produce every (topic, event) in one transaction; return once it is committed.

    Raises RecordTooLarge (nothing visible), Overloaded (nothing produced) or
    TransientError (aborted, or its outcome unknown to the caller but never partial).
    """
    if not records:
        return
    with pool.lease(timeout_s) as producer:
        errors: list[Any] = []

        def on_delivery(err: Any, _msg: Any) -> None:
            if err is not None:
                errors.append(err)

        try:
            producer.begin_transaction()
        except KafkaException as exc:
            raise TransientError(f"Kafka transaction could not begin: {exc.args[0]}") from exc
        try:
            for topic, event in records:
                key, value, headers = to_kafka(event)
                try:
                    producer.produce(
                        topic, value=value, key=key, headers=headers, on_delivery=on_delivery
                    )
                except BufferError as exc:
                    raise Overloaded(f"Kafka producer queue full: {exc}") from exc
                except KafkaException as exc:
                    raise produce_error(exc.args[0]) from exc
            producer.commit_transaction(timeout_s)
        except KafkaException as exc:
            _abort(producer, timeout_s)
            producer.poll(0)  # serve the delivery reports still queued: they hold the reason
            failure = _reason([exc.args[0], *errors])
            raise delivery_error(failure, "the batch was rolled back") from exc
        except Exception:
            _abort(producer, timeout_s)
            raise


def _abort(producer: Any, timeout_s: float) -> None:
    """Roll back; if even that fails, the broker aborts the transaction on its timeout."""
    try:
        producer.abort_transaction(timeout_s)
    except KafkaException as exc:
        log.warning("could not abort a Kafka transaction (the broker will): %s", exc)


def _reason(errors: Sequence[Any]) -> Any:
    """The error that explains a failed transaction: a size refusal first (the one error
    the sender can act on), else the first (the commit's own)."""
    for err in errors:
        if getattr(err, "code", lambda: None)() in SIZE_ERRORS:
            return err
    return errors[0]
