"""What a drill counts after the stream: forecast jobs and consumer lag (no tests here).

Forecast jobs: every ``forecast.requested`` event on ``inference.requests`` whose
``requested_at`` falls in the drill's window, against the ``inference_results`` rows of
the same window. A job is *stuck* when its row is still queued or running after the
catch-up, *missing* when it has no row at all.

Lag: the committed offsets of the telemetry-writer's consumer group against the end of
the topic. The offsets are read through ``satmon.stack.kafka_admin`` (a worker process):
librdkafka's admin OffsetFetch has crashed a process here.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import psycopg
from confluent_kafka import Consumer, TopicPartition

from satmon.contract.events import TOPIC_REQUESTS, TOPIC_TELEMETRY, TYPE_FORECAST_REQUESTED
from satmon.settings import Settings
from satmon.stack.kafka_admin import IsolatedAdmin, KafkaAdminUnavailable

TELEMETRY_GROUP = "satmon-telemetry-writer"


@dataclass
class Jobs:
    requested: int
    completed: int
    failed: int
    stuck: int  # a row still queued / running
    missing: int  # a request without a row

    @property
    def settled(self) -> bool:
        return self.stuck == 0 and self.missing == 0


def forecast_jobs(settings: Settings, since: datetime, until: datetime) -> Jobs:
    requested = requested_jobs(settings, since, until)
    with psycopg.connect(settings.pg_dsn, connect_timeout=5) as conn:
        rows = dict(
            conn.execute(
                "SELECT job_id, status FROM inference_results"
                " WHERE requested_at >= %s AND requested_at < %s",
                (since, until),
            ).fetchall()
        )
    statuses = [rows[j] for j in requested if j in rows]
    return Jobs(
        requested=len(requested),
        completed=statuses.count("completed"),
        failed=statuses.count("failed"),
        stuck=sum(1 for s in statuses if s in ("queued", "running")),
        missing=sum(1 for j in requested if j not in rows),
    )


def requested_jobs(settings: Settings, since: datetime, until: datetime) -> set[str]:
    """Job ids of the forecast requests on Kafka requested within [since, until)."""
    consumer = _reader(settings)
    try:
        meta = consumer.list_topics(TOPIC_REQUESTS, timeout=10).topics[TOPIC_REQUESTS]
        # a request is written at or after its requested_at; a minute's slack for the
        # jobs the forecaster queues on a tick it got late
        start_ms = int(since.timestamp() * 1000) - 60_000
        wanted = [TopicPartition(TOPIC_REQUESTS, p, start_ms) for p in meta.partitions]
        starts = consumer.offsets_for_times(wanted, timeout=10)
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(TOPIC_REQUESTS, p), timeout=10)[1]
            for p in meta.partitions
        }
        assignment = [tp for tp in starts if tp.offset >= 0 and tp.offset < ends[tp.partition]]
        consumer.assign(assignment)
        left = {tp.partition for tp in assignment}
        jobs: set[str] = set()
        while left:
            message = consumer.poll(5.0)
            if message is None:
                break
            if message.error() is not None:
                continue
            if message.offset() >= ends[message.partition()] - 1:
                left.discard(message.partition())
            job = _request_in(message, since, until)
            if job:
                jobs.add(job)
        return jobs
    finally:
        consumer.close()


def _request_in(message: object, since: datetime, until: datetime) -> str | None:
    headers = dict(message.headers() or [])  # type: ignore[attr-defined]
    if headers.get("ce_type") != TYPE_FORECAST_REQUESTED.encode():
        return None
    try:
        data = json.loads(message.value())  # type: ignore[attr-defined]
        at = datetime.fromisoformat(str(data["requested_at"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        return None
    return str(data["job_id"]) if since <= at < until else None


def telemetry_lag(
    settings: Settings, admin: IsolatedAdmin, group: str = TELEMETRY_GROUP
) -> int | None:
    """Events on the telemetry topic not yet committed by ``group`` (by default the
    writer's; None: Kafka does not answer)."""
    try:
        committed = admin.committed(group, [TOPIC_TELEMETRY])
    except KafkaAdminUnavailable:
        return None
    consumer = _reader(settings)
    try:
        lag = 0
        meta = consumer.list_topics(TOPIC_TELEMETRY, timeout=5).topics[TOPIC_TELEMETRY]
        for p in meta.partitions:
            high = consumer.get_watermark_offsets(TopicPartition(TOPIC_TELEMETRY, p), timeout=5)[1]
            lag += max(0, high - committed.get((TOPIC_TELEMETRY, p), 0))
        return lag
    except Exception:
        return None
    finally:
        consumer.close()


def _reader(settings: Settings) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": f"drill-reader-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "log_level": 0,
        }
    )
