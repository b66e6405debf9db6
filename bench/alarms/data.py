"""Benchmark data of the alarm benchmark: the simulator's fleet as Kafka records under
bench satellite ids, and the steady producer of the latency run (a child process)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.pipeline.data import iso_time, kafka_record
from satmon.clients.kafka import make_producer
from satmon.settings import get_settings
from satmon.simulator.anomalies import AnomalySpec
from satmon.simulator.generator import generate

NOMINAL = {"temperature": 12.0, "altitude": 420.0, "velocity": 7.655, "battery": 3.9,
           "solar_power": 55.0, "latitude": 10.0, "longitude": 20.0}  # fmt: skip
VIOLATION = {"temperature": 49.0}  # beyond the default red high limit (47.5 °C)


def simulated_fleet(satellites: int, seconds: int, anomalies_per_hour: float) -> list[dict]:
    """The simulator's telemetry (1 Hz, its injected anomalies), ending a minute ago, as
    JSON dicts with the simulator's ids (``SAT-001``…; renamed per run)."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds + 60)
    spec = AnomalySpec(rate_per_hour=anomalies_per_hour) if anomalies_per_hour else None
    return [s.to_json_dict() for s in generate(satellites, 1.0, start, seconds, None, 7, spec)]


def renamed(samples: Sequence[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """The same samples under ``<prefix>-NNN`` ids."""
    return [{**s, "satellite_id": prefix + s["satellite_id"].removeprefix("SAT")} for s in samples]


def produce_steady(
    topic: str, prefix: str, satellites: int, rate: int, seconds: float, probes_per_s: float,
    out: Any,
) -> None:  # fmt: skip
    """Child process: ``rate`` telemetry events/s for ``seconds``: ``satellites`` nominal
    satellites round robin, and ``probes_per_s`` of the events each the one sample of a
    new probe satellite, beyond its red limit. Puts {probe: produce time (s)} on ``out``."""
    producer = make_producer(get_settings())
    producer.list_topics(topic, timeout=10)  # leaders known before the first record
    total = int(rate * seconds)
    every = max(int(rate / probes_per_s), 1)
    produced: dict[str, float] = {}
    started = time.perf_counter()
    for i in range(total):
        pause = started + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        now = time.time()
        sample = {
            "satellite_id": f"{prefix}-{i % satellites:03d}",
            "timestamp": iso_time(int(now * 1000)),
            **NOMINAL,
        }
        if i % every == every // 2:
            sample["satellite_id"] = f"{prefix}-P{i // every:05d}"
            sample.update(VIOLATION)
            produced[sample["satellite_id"]] = now
        key, value, headers = kafka_record(sample, f"{prefix}-{i}")
        producer.produce(topic, value=value, key=key, headers=headers)
        producer.poll(0)
    producer.flush(10)
    out.put(json.dumps(produced))
