"""Health probes: each component is asked in its own terms, not only "does the pid exist".

Functions and the API answer ``GET /healthz``; Kafka its metadata; PostgreSQL a query
as the satmon role (what ``pg_isready`` checks, and a little more); Triton
``/v2/health/ready`` (every model loaded); VictoriaMetrics ``/health``. A dispatcher
has no port: it is healthy when each of its consumer groups is stable with members,
i.e. it has joined and been given its partitions.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from satmon.settings import Settings
from satmon.stack.kafka_admin import IsolatedAdmin, KafkaAdminUnavailable


def http_ok(url: str) -> bool:
    """GET ``url`` answers 200 (plain http.client: the supervisor asks every few seconds,
    and an httpx client per probe costs more CPU than the probe itself)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=2.0)
    try:
        conn.request("GET", parts.path or "/")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def kafka_ok(settings: Settings) -> bool:
    """The broker answers a metadata request (one cached client per cluster)."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    with _admins_lock:
        client = _metadata_clients.get(settings.kafka_bootstrap)
        if client is None:
            client = AdminClient({"bootstrap.servers": settings.kafka_bootstrap, "log_level": 0})
            _metadata_clients[settings.kafka_bootstrap] = client
    try:
        client.list_topics(timeout=2.0)
    except KafkaException:
        return False
    return True


def postgres_ok(settings: Settings) -> bool:
    """``SELECT 1`` as the superuser over the server's own Unix socket (trust: no SCRAM
    handshake to pay every few seconds), like ``pg_isready`` plus a query."""
    from satmon.stack.postgres import server_ready

    return server_ready(settings)


def consumer_groups_ok(settings: Settings, groups: Iterable[str]) -> bool:
    """Every group stable with at least one member (asked from a worker process)."""
    wanted = sorted(groups)
    if not wanted:
        return True
    try:
        states = admin(settings.kafka_bootstrap).group_states(wanted)
    except KafkaAdminUnavailable:
        return False
    return all(states.get(g, ("", 0))[0] == "STABLE" and states[g][1] > 0 for g in wanted)


def subscription_groups(
    settings: Settings, only: Iterable[str] = (), skip: Iterable[str] = ()
) -> list[str]:
    """The consumer groups of the manifests' subscriptions a dispatcher runs."""
    return list(subscription_topics(settings, only, skip))


def subscription_topics(
    settings: Settings, only: Iterable[str] = (), skip: Iterable[str] = ()
) -> dict[str, list[str]]:
    """consumer group → its topics, for the manifests' subscriptions selected."""
    from satmon.eventing.manifests import load_topology

    only, skip = set(only), set(skip)
    topology = load_topology(settings.repo_root / "eventing")
    return {
        s.group: list(s.topics)
        for s in topology.subscriptions
        if (not only or s.name in only) and s.name not in skip
    }


_admins_lock = threading.Lock()
_admins: dict[str, IsolatedAdmin] = {}
_metadata_clients: dict[str, Any] = {}


def admin(bootstrap: str) -> IsolatedAdmin:
    """One isolated admin worker per Kafka cluster for this process (``kafka_admin.py``)."""
    with _admins_lock:
        if bootstrap not in _admins:
            _admins[bootstrap] = IsolatedAdmin(bootstrap)
        return _admins[bootstrap]


def close_admins() -> None:
    with _admins_lock:
        for isolated in _admins.values():
            isolated.close()
        _admins.clear()
