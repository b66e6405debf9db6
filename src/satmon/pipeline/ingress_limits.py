"""The one size limit of the ingress: what Kafka takes, checked before anything is produced.

A request body over the limit is refused unread beyond it; each accepted event's
Kafka record (its JSON data, key and attributes as headers, exactly as it will be
produced) is measured against the same limit, and a batch is checked whole before its
first event is produced. Every refusal is a 413 problem naming the limit in bytes,
where it comes from and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudevents.http import CloudEvent

from satmon.clients.kafka_limits import RecordLimit, RecordTooLarge, record_size
from satmon.contract.events import to_kafka
from satmon.contract.http import HttpProblem

CONFIGURED = "SATMON_INGRESS_MAX_BODY_BYTES"


def effective_limit(kafka: RecordLimit, configured: int | None) -> RecordLimit:
    """Kafka's limit, or the configured body cap where that is lower."""
    if configured is not None and configured < kafka.max_bytes:
        return RecordLimit(configured, f"{CONFIGURED} ({configured:,} bytes)")
    return kafka


def body_too_large(size: int | None, limit: RecordLimit) -> HttpProblem:
    """413 for a body over the limit (``size`` None: its length was never read)."""
    what = "the request body" if size is None else f"the request body of {size:,} bytes"
    return HttpProblem(
        413,
        f"{what} is over the limit of {limit.max_bytes:,} bytes, {limit.source}: the largest "
        "event Kafka takes here. Send smaller events, or fewer per batch",
        "body",
        limit_bytes=limit.max_bytes,
    )


def check_records(
    records: Sequence[tuple[str, CloudEvent]], limit: RecordLimit, batch: bool
) -> None:
    """HttpProblem 413 naming the first event whose Kafka record would be over ``limit``."""
    for i, (_topic, event) in enumerate(records):
        size = record_size(*to_kafka(event))
        if size > limit.max_bytes:
            where = f"[{i}]" if batch else None
            raise HttpProblem(
                413,
                f"event{' ' + where if where else ''} would be a Kafka record of {size:,} bytes "
                f"(data, key and attributes as headers), over the limit of "
                f"{limit.max_bytes:,} bytes, {limit.source}. Make its data or attributes "
                "smaller; nothing of this request was produced",
                where,
                limit_bytes=limit.max_bytes,
            )


def refused_by_kafka(exc: RecordTooLarge, limit: RecordLimit) -> HttpProblem:
    """413 for a record Kafka refused although it fitted the limit read from it (the
    topic was altered since): nothing was produced, or the batch was rolled back."""
    known = exc.limit or limit
    return HttpProblem(
        413,
        f"{exc}. The limit read from Kafka was {known.max_bytes:,} bytes ({known.source}); "
        "nothing of this request is in Kafka",
        exc.field,
        limit_bytes=known.max_bytes,
    )
