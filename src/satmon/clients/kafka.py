"""Kafka helpers: producer / consumer / admin configured from settings, topic set-up."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from cloudevents.http import CloudEvent
from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from satmon.contract.events import all_topics, to_kafka
from satmon.settings import Settings, get_settings

log = logging.getLogger(__name__)
DEFAULT_PARTITIONS = 3
LIBRDKAFKA_LOG = logging.getLogger("librdkafka")
"""librdkafka's own records (broker down, retries): through ``logging`` like every other
record of the process, served when the client is polled, instead of its text lines on
stderr."""


def make_producer(settings: Settings | None = None, **overrides: Any) -> Producer:
    """Idempotent producer, acks=all: an accepted event is on every in-sync replica."""
    return Producer(producer_config(settings, **overrides))


def producer_config(settings: Settings | None = None, **overrides: Any) -> dict[str, Any]:
    """The configuration ``make_producer`` uses (also that of transactional producers)."""
    settings = settings or get_settings()
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "compression.type": "lz4",
        "logger": LIBRDKAFKA_LOG,
    }
    config.update(overrides)
    return config


def make_consumer(group_id: str, settings: Settings | None = None, **overrides: Any) -> Consumer:
    """A consumer that never auto-commits: offsets are committed after the work is durable."""
    settings = settings or get_settings()
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap,
        "group.id": group_id,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "enable.partition.eof": False,
        "logger": LIBRDKAFKA_LOG,
    }
    config.update(overrides)
    return Consumer(config)


def make_admin(settings: Settings | None = None, **overrides: Any) -> AdminClient:
    settings = settings or get_settings()
    config: dict[str, Any] = {"bootstrap.servers": settings.kafka_bootstrap}
    config["logger"] = LIBRDKAFKA_LOG
    return AdminClient({**config, **overrides})


def ensure_topics(
    admin: AdminClient, topics: Iterable[str] | None = None, partitions: int = DEFAULT_PARTITIONS
) -> list[str]:
    """Create missing topics; returns the ones created. Existing topics are left alone."""
    wanted = list(topics or all_topics())
    existing = set(admin.list_topics(timeout=10).topics)
    missing = [t for t in wanted if t not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
    )
    for future in futures.values():
        try:
            future.result()
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    log.info("created topics %s", missing)
    return missing


def produce_event(producer: Producer, topic: str, event: CloudEvent, **kwargs: Any) -> None:
    """Queue one CloudEvent in Kafka binary mode (call ``flush`` or poll to deliver)."""
    key, value, headers = to_kafka(event)
    producer.produce(topic, value=value, key=key, headers=headers, **kwargs)


def broker_reachable(settings: Settings | None = None, timeout: float = 2.0) -> bool:
    try:
        # log_level 0: a probe of a broker that is still starting should not flood stderr
        make_admin(settings, log_level=0).list_topics(timeout=timeout)
    except KafkaException:
        return False
    return True
