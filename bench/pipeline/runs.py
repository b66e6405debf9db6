"""Benchmark throughput runs: VictoriaMetrics' direct-import ceiling and a naive consumer.

Each returns a dict of figures measured in this process, in this run."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.pipeline.data import import_lines
from satmon.clients.kafka import make_consumer
from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import METRICS, from_kafka, parse_telemetry
from satmon.settings import Settings


def run_direct(
    settings: Settings, samples: Sequence[dict[str, Any]], threads: int, batch: int = 1000
) -> dict[str, Any]:
    bodies = [import_lines(samples[i : i + batch]) for i in range(0, len(samples), batch)]
    client = httpx.Client(
        base_url=settings.vm_url, timeout=60.0, limits=httpx.Limits(max_connections=threads)
    )

    def post(body: bytes) -> None:
        response = client.post("/api/v1/import", content=body)
        response.raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, bodies))
    elapsed = time.perf_counter() - started
    client.close()
    return {
        "events": len(samples),
        "seconds": elapsed,
        "events_per_s": len(samples) / elapsed,
        "samples_per_s": len(samples) * len(METRICS) / elapsed,
        "threads": threads,
        "batch_events": batch,
    }


def run_naive(
    settings: Settings, topic: str, group: str, max_records: int, max_seconds: float
) -> dict[str, Any]:
    """The original design: one record, one decode, one import, one commit."""
    consumer = make_consumer(group, settings)
    vm = VictoriaMetrics(settings.vm_url)
    consumer.subscribe([topic])
    count = 0
    started: float | None = None
    try:
        deadline = time.monotonic() + 60
        while count < max_records:
            msg = consumer.poll(1.0)
            if msg is None or msg.error() is not None:
                if started is None and time.monotonic() > deadline:
                    raise RuntimeError("naive consumer got nothing in 60 s")
                if started is not None and time.perf_counter() - started > max_seconds:
                    break
                continue
            if started is None:
                started = time.perf_counter()
            headers = msg.headers()
            event = from_kafka(topic, msg.key(), msg.value(), headers)  # type: ignore[arg-type]
            vm.write_telemetry([parse_telemetry(event.get_data())])
            consumer.commit(message=msg, asynchronous=False)
            count += 1
            if time.perf_counter() - started > max_seconds:
                break
    finally:
        consumer.close()
        vm.close()
    elapsed = time.perf_counter() - (started or time.perf_counter())
    return {"events": count, "seconds": elapsed, "events_per_s": count / max(elapsed, 1e-9)}
