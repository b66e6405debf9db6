"""All-or-nothing batches and the record limit, against the real broker.

A topic whose ``max.message.bytes`` is small makes the broker refuse one record of a
batch after the producer accepted it (the producer's own limit is larger), while the
records of the same batch for another topic are written: the transaction is rolled
back, so a read-committed consumer sees none of the batch, while a read-uncommitted
one shows that those records were really written.
"""

from __future__ import annotations

import base64
import os
import time
import uuid

import pytest
from confluent_kafka.admin import NewTopic

from satmon.clients.kafka import make_admin, make_consumer, producer_config
from satmon.clients.kafka_limits import (
    LIBRDKAFKA_MESSAGE_MAX_BYTES,
    KafkaRecordLimit,
    RecordTooLarge,
    broker_side_max,
    read_record_limit,
)
from satmon.clients.transactions import TransactionalProducers, deliver_atomically
from satmon.contract.events import make_event

pytestmark = pytest.mark.integration

TOPIC_MAX_BYTES = 20_000


def new_topic(**config: str) -> str:
    topic = f"test-txn-{uuid.uuid4().hex[:10]}"
    admin = make_admin()
    for future in admin.create_topics([NewTopic(topic, 1, 1, config=config)]).values():
        future.result(timeout=15)
    return topic


@pytest.fixture(scope="module")
def small_topic(kafka_bootstrap: str) -> str:
    return new_topic(**{"max.message.bytes": str(TOPIC_MAX_BYTES)})


@pytest.fixture(scope="module")
def other_topic(kafka_bootstrap: str) -> str:
    return new_topic()


@pytest.fixture(scope="module")
def pool(kafka_bootstrap: str) -> TransactionalProducers:
    return TransactionalProducers(producer_config(), size=2, timeout_s=10.0)


def event(topic: str, n: int, big: bool = False) -> tuple:
    data: dict = {"n": n}
    if big:  # incompressible, so that lz4 does not shrink it under the limit
        data["padding"] = base64.b64encode(os.urandom(3 * TOPIC_MAX_BYTES)).decode()
    return topic, make_event("io.satmon.test.v1", "/tests/txn", data, key="k")


def read(topic: str, isolation: str, expect: int) -> list[str]:
    """Event ids on ``topic``: until ``expect`` arrived, then 0.5 s more for any extra."""
    consumer = make_consumer(f"test-{uuid.uuid4().hex}", **{"isolation.level": isolation})
    consumer.subscribe([topic])
    ids: list[str] = []
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline:
            if len(ids) >= expect:
                deadline = min(deadline, time.monotonic() + 0.5)
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                ids.append(dict(msg.headers())["ce_id"].decode())
    finally:
        consumer.close()
    return ids


def test_a_batch_the_broker_refuses_halfway_is_invisible(small_topic, other_topic, pool) -> None:
    refused = [event(other_topic, i) for i in range(3)] + [event(small_topic, 3, big=True)]
    with pytest.raises(RecordTooLarge):
        deliver_atomically(pool, refused, timeout_s=10.0)
    accepted = [event(other_topic, i) for i in range(4)] + [event(small_topic, 4)]
    deliver_atomically(pool, accepted, timeout_s=10.0)
    ids = [e["id"] for _, e in accepted]
    assert read(other_topic, "read_committed", 4) == ids[:4]
    assert read(small_topic, "read_committed", 1) == ids[4:]
    written_anyway = read(other_topic, "read_uncommitted", 7)
    assert [e["id"] for _, e in refused[:3]] == written_anyway[:3]  # written, rolled back


def test_the_limit_is_read_from_the_topics(small_topic, kafka_bootstrap) -> None:
    admin = make_admin()
    limit = read_record_limit(admin, [small_topic], LIBRDKAFKA_MESSAGE_MAX_BYTES)
    assert limit.max_bytes == broker_side_max(TOPIC_MAX_BYTES)
    assert small_topic in limit.source and f"{TOPIC_MAX_BYTES:,}" in limit.source
    unbounded = read_record_limit(admin, [small_topic], 1_000)
    assert (unbounded.max_bytes, "producer" in unbounded.source) == (1_000, True)


def test_an_unreachable_broker_leaves_the_producer_limit(kafka_bootstrap) -> None:
    def nowhere():
        from confluent_kafka.admin import AdminClient

        return AdminClient({"bootstrap.servers": "127.0.0.1:1", "socket.timeout.ms": 1000})

    limit = KafkaRecordLimit(
        nowhere, ["satellite-telemetry"], LIBRDKAFKA_MESSAGE_MAX_BYTES, timeout_s=1.0
    )
    started = time.monotonic()
    current = limit.current()
    assert current.max_bytes == LIBRDKAFKA_MESSAGE_MAX_BYTES
    assert "could not be read" in current.source
    assert limit.current() is current  # not asked again at once
    assert time.monotonic() - started < 5
