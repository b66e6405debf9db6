"""Helpers of the alarm tests: telemetry items, batches posted to the evaluator, the rows
they left, and clean-up of a test's satellites."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from satmon.contract.events import format_time
from tests.integration.api.conftest import wait_for

NOMINAL = {
    "temperature": 1.0,
    "altitude": 420.0,
    "velocity": 7.7,
    "battery": 3.9,
    "solar_power": 50.0,
    "latitude": 10.0,
    "longitude": 20.0,
}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def satellite(prefix: str = "ALT") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def telemetry_item(sat: str, moment: datetime, **values: float) -> dict[str, Any]:
    """A structured-mode telemetry event as the dispatcher batches it."""
    data = {"satellite_id": sat, "timestamp": format_time(moment), **NOMINAL, **values}
    return {
        "specversion": "1.0",
        "id": f"{sat}/{int(moment.timestamp() * 1000)}",
        "source": f"/satellites/{sat}",
        "type": "io.satmon.telemetry.v1",
        "time": data["timestamp"],
        "datacontenttype": "application/json",
        "partitionkey": sat,
        "data": data,
    }


def series(sat: str, start: datetime, metric: str, values: Sequence[float], step_s: float = 1.0):
    """Items of one satellite, one sample per value of ``metric``, ``step_s`` apart."""
    return [
        telemetry_item(sat, start + timedelta(seconds=i * step_s), **{metric: v})
        for i, v in enumerate(values)
    ]


def tick_item(moment: datetime | None = None) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "/apis/v1/namespaces/satmon/pingsources/alarm-ticks",
        "type": "dev.knative.sources.ping",
        "time": format_time(moment or datetime.now(UTC)),
        "datacontenttype": "application/json",
        "data": {"reason": "test"},
    }


def post_batch(client: Any, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    answer = client.post("/", headers=BATCH, data=json.dumps(list(items)))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.get_json()
    return body


def steps(conn: psycopg.Connection, sat: str, kind: str | None = None) -> list[tuple[Any, ...]]:
    """(kind, metric, action, state, severity) of every step of ``sat`` (of one kind), in
    order. A running stack's evaluator may add stale alarms for a test's satellites (its
    tick sees their samples are old), hence the kind."""
    conn.rollback()
    return conn.execute(
        "SELECT a.kind, a.metric, h.action, h.state, h.severity FROM alarm_history h"
        " JOIN alarms a ON a.id = h.alarm_id WHERE a.satellite_id = %s"
        " AND (%s::text IS NULL OR a.kind = %s) ORDER BY a.id, h.seq",
        (sat, kind, kind),
    ).fetchall()


def actors(conn: psycopg.Connection, sat: str) -> set[str]:
    conn.rollback()
    rows = conn.execute(
        "SELECT DISTINCT h.actor FROM alarm_history h JOIN alarms a ON a.id = h.alarm_id"
        " WHERE a.satellite_id = %s",
        (sat,),
    ).fetchall()
    return {r[0] for r in rows}


class AlarmEvents:
    """Events on the ``alarms`` topic from the moment this is made (per satellite key)."""

    def __init__(self, topic: str = "alarms") -> None:
        from confluent_kafka import TopicPartition

        from satmon.clients.kafka import make_consumer

        self.consumer = make_consumer(f"test-alarms-{uuid.uuid4().hex[:8]}")
        metadata = self.consumer.list_topics(topic, timeout=10)
        parts = []
        for p in metadata.topics[topic].partitions:
            _, high = self.consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            parts.append(TopicPartition(topic, p, high))
        self.consumer.assign(parts)
        self.seen: list[dict[str, Any]] = []

    def of(
        self, sat: str, count: int, kind: str = "limit", limit_s: float = 15.0
    ) -> list[dict[str, Any]]:
        """The first ``count`` events of ``sat``'s alarms of ``kind`` (waits up to ``limit_s``)."""

        def enough() -> list[dict[str, Any]] | None:
            for msg in self.consumer.consume(100, timeout=0.2):
                if msg.error() is None:
                    headers = {k: v.decode() for k, v in msg.headers() or []}
                    self.seen.append(
                        {"key": (msg.key() or b"").decode(), "type": headers["ce_type"],
                         "id": headers["ce_id"], "data": json.loads(msg.value())}
                    )  # fmt: skip
            mine = [e for e in self.seen if e["key"] == sat and e["data"]["kind"] == kind]
            return mine if len(mine) >= count else None

        return wait_for(enough, limit_s, f"{count} alarm events of {sat}")  # type: ignore[no-any-return]

    def close(self) -> None:
        self.consumer.close()


def alarm_rows(conn: psycopg.Connection, sat: str) -> list[dict[str, Any]]:
    conn.rollback()
    cur = conn.execute("SELECT * FROM alarms WHERE satellite_id = %s ORDER BY id", (sat,))
    names = [c.name for c in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def forget(conn: psycopg.Connection, satellites: Iterable[str]) -> None:
    """Remove what the tests' satellites left (alarms cascade to their history)."""
    names = list(satellites)
    conn.rollback()
    with conn.transaction():
        for table in ("alarms", "alarm_series_state", "alarm_satellites"):
            conn.execute(f"DELETE FROM {table} WHERE satellite_id = ANY(%s)", (names,))
        conn.execute("DELETE FROM limit_versions WHERE satellite_id = ANY(%s)", (names,))
