"""The latency floor: the least a Kafka → VictoriaMetrics consumer can do, at the same rate.

One confluent-kafka consumer in a process of its own: wait for a record, take whatever
else is already fetched, write the batch as one import, commit synchronously, repeat.
No CloudEvents, no dead-letter topic, no HTTP hop to a function: what is left is Kafka,
one import and the machine itself, so it moves with the machine's speed and load.
Measured in the same bench run as satmon's latency, on its own topic, with the same
producer, rate and warm-up.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from datetime import datetime
from typing import Any

import orjson

from bench.pipeline.latency import percentiles, produce_steady
from satmon.clients.kafka import ensure_topics, make_admin, make_consumer
from satmon.clients.vm import ImportLines, VictoriaMetrics
from satmon.contract.events import METRICS
from satmon.settings import get_settings


def run_floor(prefix: str, topic: str, rate: int, seconds: float, warmup: float) -> dict[str, Any]:
    """event → stored (the import's answer minus the record's CreateTime) of the loop."""
    ensure_topics(make_admin(get_settings()), [topic], partitions=3)
    spawn = multiprocessing.get_context("spawn")
    ready, stop, results = spawn.Event(), spawn.Event(), spawn.Queue()
    loop = spawn.Process(target=floor_loop, args=(topic, f"{topic}-floor", ready, stop, results))
    producer = spawn.Process(
        target=produce_steady, args=(topic, prefix, 50, rate, warmup + seconds, f"{prefix}-PROBE")
    )
    stored: list[tuple[int, float]] = []
    loop.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the floor consumer got no partitions")
        producer.start()
        producer.join(warmup + seconds + 60)
        if producer.exitcode != 0:
            raise RuntimeError(f"floor producer failed (exit {producer.exitcode})")
        time.sleep(2.0)
    finally:
        if producer.is_alive():
            producer.terminate()
        stop.set()
        try:
            stored = results.get(timeout=30)
        except queue.Empty:
            stored = []
        loop.join(10)
        if loop.is_alive():
            loop.terminate()
    measured_from = min((created for created, _ in stored), default=0) + warmup * 1000
    return {
        "acknowledged": len(stored),
        "stored_ms": percentiles([d for created, d in stored if created >= measured_from]),
    }


def floor_loop(topic: str, group: str, ready: Any, stop: Any, results: Any) -> None:
    """Child process: the minimal loop; puts [(CreateTime ms, delay ms)] on ``results``."""
    settings = get_settings()
    consumer = make_consumer(group, settings, **{"auto.offset.reset": "earliest"})
    vm = VictoriaMetrics(settings.vm_url)
    consumer.subscribe([topic], on_assign=lambda _c, _p: ready.set())
    stored: list[tuple[int, float]] = []
    try:
        while not stop.is_set():
            first = consumer.poll(0.1)
            if first is None:
                continue
            lines, created = ImportLines(), []
            for message in [first, *consumer.consume(999, 0)]:
                if message.error() is not None:
                    continue
                sample = orjson.loads(message.value())
                stamp = datetime.fromisoformat(sample["timestamp"].replace("Z", "+00:00"))
                values = tuple(float(sample[m]) for m in METRICS)
                lines.add(sample["satellite_id"], int(stamp.timestamp() * 1000), values)
                created.append(message.timestamp()[1])
            if lines:
                vm.import_lines(lines.body())
            acked = time.time() * 1000
            consumer.commit(asynchronous=False)
            stored.extend((c, acked - c) for c in created)
    finally:
        consumer.close()
        vm.close()
        results.put(stored)
