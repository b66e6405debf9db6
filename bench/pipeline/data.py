"""Benchmark data: a synthetic telemetry fleet, its Kafka records and import bodies."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from satmon.clients.kafka import ensure_topics, make_admin, make_producer
from satmon.clients.vm import ImportLines
from satmon.contract.events import METRICS, TYPE_TELEMETRY
from satmon.settings import Settings


@dataclass
class Fleet:
    """Synthetic telemetry: ``satellites`` series, ``per_sat`` points 1 s apart, from ``start_ms``.

    The pipeline bench starts it before the forecaster's active window (``cli.bench``).
    """

    prefix: str
    satellites: int
    per_sat: int
    start_ms: int

    def ids(self) -> list[str]:
        return [f"{self.prefix}-{i:03d}" for i in range(self.satellites)]

    def sample(self, sat_index: int, step: int) -> dict[str, Any]:
        phase = (sat_index * 37 + step) % 360
        return {
            "satellite_id": f"{self.prefix}-{sat_index:03d}",
            "timestamp": iso_time(self.start_ms + step * 1000),
            "temperature": round(-20.0 + phase / 9.0, 2),
            "altitude": round(400.0 + (phase % 50), 2),
            "velocity": round(7.6 + (phase % 20) / 100.0, 3),
            "battery": round(3.0 + (phase % 120) / 100.0, 3),
            "solar_power": round(phase / 3.6, 2),
            "latitude": round(((phase * 7) % 103) - 51.5, 3),
            "longitude": round(phase - 180.0, 3),
        }

    def samples(self) -> list[dict[str, Any]]:
        """Interleaved by time, as a live fleet would produce them."""
        return [self.sample(s, t) for t in range(self.per_sat) for s in range(self.satellites)]


def kafka_record(sample: dict[str, Any], event_id: str | None = None) -> tuple[bytes, bytes, list]:
    """A telemetry CloudEvent in Kafka binary mode (as ``contract.events.to_kafka`` writes it)."""
    sat = sample["satellite_id"]
    headers = [
        ("ce_id", (event_id or str(uuid.uuid4())).encode()),
        ("ce_source", f"/satellites/{sat}".encode()),
        ("ce_type", TYPE_TELEMETRY.encode()),
        ("ce_specversion", b"1.0"),
        ("ce_time", sample["timestamp"].encode()),
        ("ce_subject", sat.encode()),
        ("content-type", b"application/json"),
        ("ce_partitionkey", sat.encode()),
    ]
    return sat.encode(), json.dumps(sample, separators=(",", ":")).encode(), headers


def import_lines(samples: Sequence[dict[str, Any]]) -> bytes:
    """Series-grouped JSON lines for /api/v1/import, as the telemetry-writer builds them."""
    lines = ImportLines()
    for s in samples:
        lines.add(s["satellite_id"], _ms(s["timestamp"]), tuple(float(s[m]) for m in METRICS))
    return lines.body()


def preload(settings: Settings, topic: str, samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ensure_topics(make_admin(settings), [topic], partitions=3)
    producer = make_producer(settings, **{"linger.ms": 50, "batch.size": 1_000_000})
    started = time.perf_counter()
    for sample in samples:
        key, value, headers = kafka_record(sample)
        while True:
            try:
                producer.produce(topic, value=value, key=key, headers=headers)
                break
            except BufferError:
                producer.poll(0.05)
    if producer.flush(60) != 0:
        raise RuntimeError("pre-load not acknowledged by Kafka")
    elapsed = time.perf_counter() - started
    return {"events": len(samples), "seconds": elapsed, "events_per_s": len(samples) / elapsed}


def iso_time(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
