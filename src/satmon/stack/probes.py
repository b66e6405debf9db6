"""Health probes: each component is asked in its own terms, not only "does the pid exist".

Functions and the API answer ``GET /healthz``; Kafka its metadata; PostgreSQL a query
as the satmon role (what ``pg_isready`` checks, and a little more); Triton
``/v2/health/ready`` (every model loaded); VictoriaMetrics ``/health``. A dispatcher
has no port: it is healthy when each of its consumer groups is stable with members,
i.e. it has joined and been given its partitions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import httpx

from satmon.settings import Settings
from satmon.stack.kafka_admin import IsolatedAdmin, KafkaAdminUnavailable


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def kafka_ok(settings: Settings) -> bool:
    from satmon.clients.kafka import broker_reachable

    return broker_reachable(settings)


def postgres_ok(settings: Settings) -> bool:
    import psycopg

    try:
        with psycopg.connect(settings.pg_dsn, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


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
