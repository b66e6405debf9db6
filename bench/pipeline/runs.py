"""Benchmark throughput runs: the pipeline, VictoriaMetrics' direct ceiling, a naive consumer.

Each returns a dict of figures measured in this process, in this run."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.pipeline.data import Fleet, import_lines
from satmon.clients.kafka import make_consumer
from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import METRIC_PREFIX, METRICS, from_kafka, parse_telemetry
from satmon.eventing.dispatcher import Dispatcher
from satmon.eventing.topology import Subscription
from satmon.settings import Settings


def run_pipeline(
    settings: Settings, sub: Subscription, total: int, vm: VictoriaMetrics, fleet: Fleet
) -> dict[str, Any]:
    delivered = [0]
    done = threading.Event()
    lock = threading.Lock()

    def on_delivered(envs: Sequence[Any], _at: float) -> None:
        with lock:
            delivered[0] += len(envs)
            if delivered[0] >= total:
                done.set()

    dispatcher = Dispatcher([sub], settings=settings, on_delivered=on_delivered)
    joined = time.perf_counter()
    dispatcher.start()
    try:
        if not dispatcher.wait_ready(60):
            raise RuntimeError("the bench consumer got no partitions")
        started = time.perf_counter()
        cpu0 = time.process_time()
        if not done.wait(600):
            raise RuntimeError(f"only {delivered[0]} of {total} events delivered in 600 s")
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu0
    finally:
        dispatcher.stop.set()
        dispatcher.join(60)
    stats = dispatcher.stats()[sub.name]
    stored = count_stored(vm, fleet, total)
    return {
        "events": total,
        "seconds": elapsed,
        "events_per_s": total / elapsed,
        "samples_per_s": total * len(METRICS) / elapsed,
        "join_seconds": started - joined,
        "dispatcher_cpu_s": cpu,
        "units": stats.units,
        "retries": stats.retries,
        "dead_lettered": stats.dead_lettered,
        "stored_in_vm": stored,
    }


def count_stored(vm: VictoriaMetrics, fleet: Fleet, total: int, timeout: float = 15.0) -> int:
    """The fleet's samples in VictoriaMetrics once they are searchable.

    VictoriaMetrics makes freshly imported rows searchable about once a second, so a
    count taken at once misses the last second of a fast run; count until all ``total``
    are there or ``timeout`` passes (the acknowledged events were durable either way).
    """
    deadline = time.monotonic() + timeout
    while True:
        vm.flush_search_cache()
        stored = count_samples(vm, fleet)
        if stored >= total or time.monotonic() >= deadline:
            return stored
        time.sleep(0.5)


def count_samples(vm: VictoriaMetrics, fleet: Fleet) -> int:
    """Temperature samples of the fleet in VictoriaMetrics (one per event)."""
    start = fleet.start_ms / 1000 - 1
    end = start + fleet.per_sat + 2
    series = vm.export(
        f'{METRIC_PREFIX}temperature{{satellite_id=~"{fleet.prefix}-.*"}}', start=start, end=end
    )
    return sum(len(s.timestamps) for s in series)


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
