"""Integration fixtures: clients for the real servers. A server that is down is a failure
with the command that starts it, never a skip: these tests claim real behaviour."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from satmon.clients.vm import VictoriaMetrics
from satmon.settings import Settings


@pytest.fixture(scope="session")
def vm(settings: Settings) -> Iterator[VictoriaMetrics]:
    client = VictoriaMetrics(settings.vm_url)
    if not client.healthy():
        pytest.fail(
            f"VictoriaMetrics is not running at {settings.vm_url}: run `satmon up --detach`"
        )
    yield client
    client.close()


@pytest.fixture(scope="session")
def kafka_bootstrap(settings: Settings) -> str:
    from satmon.clients.kafka import broker_reachable

    if not broker_reachable(settings, timeout=5):
        pytest.fail(f"Kafka is not running at {settings.kafka_bootstrap}: run `satmon up --detach`")
    return settings.kafka_bootstrap


@pytest.fixture
def pg(settings: Settings) -> Iterator[psycopg.Connection]:
    try:
        conn = psycopg.connect(settings.pg_dsn, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable ({exc}): run `satmon up --detach`")
    yield conn
    conn.close()
