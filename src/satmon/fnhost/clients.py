"""Clients shared by the functions of one process, created on first use.

Lazily, so that importing a function's main.py (or forking gunicorn workers) never
connects; once per process, so every request reuses the same pools.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from satmon.errors import TransientError
from satmon.settings import get_settings

T = TypeVar("T")


def once(factory: Callable[[], T]) -> Callable[[], T]:
    """Call ``factory`` on first use only (thread-safe); ``.reset()`` forgets the instance."""
    box: list[T] = []
    lock = threading.Lock()  # one per factory: factories may call one another

    @wraps(factory)
    def get() -> T:
        if not box:
            with lock:
                if not box:
                    box.append(factory())
        return box[0]

    get.reset = box.clear  # type: ignore[attr-defined]
    return get


@once
def victoria_metrics() -> Any:
    from satmon.clients.vm import VictoriaMetrics

    return VictoriaMetrics(get_settings().vm_url)


@once
def producer() -> Any:
    from satmon.clients.kafka import make_producer

    return make_producer(get_settings())


@once
def db_pool() -> Any:
    """A small psycopg pool; migrations run once when it opens."""
    from psycopg_pool import ConnectionPool

    from satmon.store import migrate

    def _configure(conn: Any) -> None:
        conn.autocommit = True

    pool = ConnectionPool(
        get_settings().pg_dsn,
        min_size=1,
        max_size=8,
        open=False,
        configure=_configure,
        timeout=10.0,
    )
    pool.open(wait=False)
    try:
        with pool.connection(timeout=5.0) as conn:
            migrate(conn)
    except Exception as exc:
        pool.close()
        raise TransientError(f"PostgreSQL unavailable: {exc}") from exc
    return pool


@once
def forecast_model() -> Any:
    """The Triton forecaster (``satmon.clients.triton.TritonForecaster``)."""
    from satmon.clients.triton import TritonForecaster

    return TritonForecaster(get_settings().triton_http_url)


@once
def batch_producers() -> Any:
    """Transactional producers for all-or-nothing batches (``clients.transactions``)."""
    from satmon.clients.kafka import producer_config
    from satmon.clients.transactions import TransactionalProducers
    from satmon.pipeline.ingress_settings import IngressSettings

    settings = IngressSettings()
    config = producer_config(get_settings())
    return TransactionalProducers(config, settings.batch_producers, settings.produce_timeout_s)


@once
def kafka_record_limit() -> Any:
    """The largest record Kafka takes on the topics the ingress produces to, re-read
    every few minutes (``clients.kafka_limits.KafkaRecordLimit``)."""
    from satmon.clients.kafka import make_admin, producer_config
    from satmon.clients.kafka_limits import KafkaRecordLimit, producer_max_bytes
    from satmon.pipeline.ingress import TOPICS

    producer_max = producer_max_bytes(producer_config(get_settings()))
    return KafkaRecordLimit(lambda: make_admin(get_settings()), TOPICS, producer_max)
