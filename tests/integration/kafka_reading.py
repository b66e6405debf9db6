"""Reading what the stack wrote to Kafka, from now on: shared by the integration tests."""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka import OFFSET_END, TopicPartition

from satmon.clients.kafka import make_consumer


def consumer_at_end(topic: str) -> Any:
    """A consumer of a fresh group assigned to the current end of every partition of
    ``topic`` (the end as it will be, for a partition without a watermark yet)."""
    consumer = make_consumer(f"test-{uuid.uuid4().hex}")
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    parts = []
    for p in meta.partitions:
        _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        parts.append(TopicPartition(topic, p, high if high >= 0 else OFFSET_END))
    consumer.assign(parts)
    return consumer
