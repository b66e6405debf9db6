"""The table of components the launcher knows, in start order, with their health checks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from satmon.settings import Settings
from satmon.stack.process import ProcessSpec


@dataclass(frozen=True)
class Component:
    name: str
    tier: str  # "server" starts first; "app" once every server is healthy
    build: Callable[[Settings], ProcessSpec]
    health: Callable[[Settings], bool]
    stop_timeout_s: float = 20.0
    default: bool = True  # part of a plain `satmon up`


def _vm(settings: Settings) -> ProcessSpec:
    from satmon.stack.servers import victoriametrics_spec

    return victoriametrics_spec(settings)


def _kafka(settings: Settings) -> ProcessSpec:
    from satmon.stack.servers import kafka_spec

    return kafka_spec(settings)


def _postgres(settings: Settings) -> ProcessSpec:
    from satmon.stack.postgres import postgres_spec

    return postgres_spec(settings)


def _triton(settings: Settings) -> ProcessSpec:
    from satmon.stack.servers import triton_spec

    return triton_spec(settings)


def _simulator(settings: Settings) -> ProcessSpec:
    """Live telemetry for the dashboard: 3 satellites at 1 Hz until stopped."""
    return ProcessSpec(
        name="simulator",
        kind="app",
        argv=[sys.executable, "-m", "satmon", "simulate", "--satellites", "3", "--rate", "1"],
        healthy=lambda: True,
    )


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _kafka_health(settings: Settings) -> bool:
    from satmon.kafka import broker_reachable

    return broker_reachable(settings)


def _postgres_health(settings: Settings) -> bool:
    import psycopg

    try:
        with psycopg.connect(settings.pg_dsn, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in [
        Component("postgres", "server", _postgres, _postgres_health, stop_timeout_s=30),
        Component("victoriametrics", "server", _vm, lambda s: _http_ok(f"{s.vm_url}/health")),
        Component("kafka", "server", _kafka, _kafka_health, stop_timeout_s=30),
        Component(
            "triton",
            "server",
            _triton,
            lambda s: _http_ok(f"http://127.0.0.1:{s.triton_http_port}/v2/health/ready"),
            stop_timeout_s=30,
        ),
        Component("simulator", "app", _simulator, lambda s: True, stop_timeout_s=10),
    ]
}
SERVERS = [n for n, c in COMPONENTS.items() if c.tier == "server"]
