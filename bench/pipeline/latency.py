"""Benchmark latency run: event → stored and event → queryable at a steady rate."""

from __future__ import annotations

import gc
import queue
import statistics
import threading
import time
from array import array
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.pipeline.data import Fleet, iso_time, kafka_record
from satmon.clients.kafka import ensure_topics, make_admin, make_producer
from satmon.clients.vm import ImportLines, VictoriaMetrics
from satmon.contract.events import METRIC_PREFIX, METRICS
from satmon.eventing.dispatcher import Dispatcher
from satmon.eventing.topology import Subscription
from satmon.settings import Settings, get_settings


def run_latency(
    settings: Settings,
    sub: Subscription,
    vm: VictoriaMetrics,
    prefix: str,
    rate: int,
    seconds: float,
    sats: int = 50,
    warmup: float = 5.0,
) -> dict[str, Any]:
    """Steady ``rate`` events/s from a separate producer process, ``warmup`` + ``seconds`` long.

    event → stored: the dispatcher's acknowledgement time minus the record's Kafka
    CreateTime (set when the producer called ``produce``); event → queryable: when a
    probe satellite's sample (timestamp = its produce time) shows in /api/v1/export.
    The steady-state figures cover the last ``seconds``: they leave out the events
    produced in the first ``warmup`` seconds (on the freshly created topic the first
    fetch fails and librdkafka waits its 500 ms ``fetch.error.backoff.ms``; first
    connections); ``stored_all_ms`` keeps every event.
    """
    import multiprocessing

    ensure_topics(make_admin(settings), [sub.topics[0]], partitions=3)
    # One flat array of floats per run, five per event (produce time, then the three
    # waits, then done): lists of tuples would be ~2 tracked objects per event that live
    # all run, and they alone would set off the young collections of this process, whose
    # pauses (hundreds of ms here) the run would then measure as the dispatcher's.
    rows = array("d")
    lock = threading.Lock()

    def on_delivered(envs: Sequence[Any], sent_at: float, done_at: float) -> None:
        sent_ms, done_ms = sent_at * 1000, done_at * 1000
        with lock:
            for env in envs:
                created = env.timestamp_ms
                if created:
                    fetched = env.fetched_at * 1000
                    rows.extend(
                        (created, fetched - created, sent_ms - fetched, done_ms - sent_ms, done_ms)
                    )

    gc_pauses = _GcPauses()
    dispatcher = Dispatcher([sub], settings=settings, on_delivered=on_delivered)
    dispatcher.start()
    probe = f"{prefix}-PROBE"
    new_series_ms = _warm_series(vm, probe)
    # The producer and the queryable probe run in processes of their own: in this one
    # they would take the GIL from the dispatcher, which runs alone in production.
    spawn = multiprocessing.get_context("spawn")
    stop_poll = spawn.Event()
    results = spawn.Queue()
    poller = spawn.Process(target=poll_visible, args=(vm.url, probe, stop_poll, results))
    producer = spawn.Process(
        target=produce_steady, args=(sub.topics[0], prefix, sats, rate, warmup + seconds, probe)
    )
    visible: list[float] = []
    try:
        if not dispatcher.wait_ready(60):
            raise RuntimeError("the latency consumer got no partitions")
        poller.start()
        gc_pauses.start()
        producer.start()
        producer.join(warmup + seconds + 60)
        if producer.exitcode != 0:
            raise RuntimeError(f"latency producer failed (exit {producer.exitcode})")
        time.sleep(2.0)
    finally:
        if producer.is_alive():
            producer.terminate()
        stop_poll.set()
        if poller.pid is not None:
            try:
                visible = results.get(timeout=30)
            except queue.Empty:  # the probe died; its error is in its own output
                visible = []
            poller.join(10)
            if poller.is_alive():
                poller.terminate()
        gc_pauses.stop()
        dispatcher.stop.set()
        dispatcher.join(30)
    stored = [(int(rows[i]), rows[i + 4] - rows[i]) for i in range(0, len(rows), 5)]
    stages = [(int(rows[i]), rows[i + 1], rows[i + 2], rows[i + 3]) for i in range(0, len(rows), 5)]
    measured_from = min((created for created, _ in stored), default=0) + warmup * 1000
    steady = [delay for created, delay in stored if created >= measured_from]
    waits = [s[1:] for s in stages if s[0] >= measured_from]
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": int(rate * (warmup + seconds)),
        "acknowledged": len(stored),
        "warmup_s": warmup,
        "stored_ms": percentiles(steady),
        "stored_all_ms": percentiles([delay for _, delay in stored]),
        # where the steady-state events waited: CreateTime → the dispatcher's fetch, →
        # the start of their POST (batch window, in-flight limit), → its 2xx (the writer
        # and VictoriaMetrics)
        "stages_ms": {name: percentiles([w[i] for w in waits]) for i, name in enumerate(STAGES)},
        "queryable_ms": percentiles(visible),
        "queryable_probes": len(visible),
        "queryable_via": "/api/v1/export (raw samples)",
        "new_series_visible_ms": new_series_ms,
        "measured_from": _iso(measured_from) if stored else None,
        "slow_seconds": slow_seconds(stored, measured_from, SLOW_MS),
        # the events over SLOW_MS only: which wait made them slow
        "slow_stages": slow_stages(stages, measured_from, SLOW_MS),
        # the collector's pauses in this process (the dispatcher's) over 5 ms
        "gc_pauses_ms": gc_pauses.summary(measured_from),
        # the stack's PingSource fires on each minute ("* * * * *")
        "minute_ticks_at_s": minute_offsets(measured_from, seconds) if stored else [],
    }


SLOW_MS = 50.0
"""Delay that counts an event as slow in ``slow_seconds`` (the issue's p99 goal)."""


def slow_seconds(
    stored: Sequence[tuple[int, float]], start_ms: float, slow_ms: float
) -> list[dict[str, Any]]:
    """Per second of produce time since ``start_ms``: how many events took over ``slow_ms``
    and the slowest; only seconds that had one. Shows whether a tail is one burst (a
    forecast tick fires on each minute) or spread out."""
    seconds: dict[int, list[float]] = {}
    for created, delay in stored:
        if created >= start_ms and delay > slow_ms:
            seconds.setdefault(int((created - start_ms) // 1000), []).append(delay)
    return [
        {"second": s, "slow": len(delays), "max_ms": round(max(delays), 1)}
        for s, delays in sorted(seconds.items())
    ]


STAGES = ("kafka_to_poll", "poll_to_send", "send_to_2xx")


def slow_stages(
    stages: Sequence[tuple[int, float, float, float]], start_ms: float, slow_ms: float
) -> dict[str, Any]:
    """For the events over ``slow_ms``: each wait's percentiles and how many events had
    their longest wait in that stage."""
    slow = [s[1:] for s in stages if s[0] >= start_ms and sum(s[1:]) > slow_ms]
    longest = {name: 0 for name in STAGES}
    for waits in slow:
        longest[STAGES[max(range(3), key=lambda i: waits[i])]] += 1
    return {
        "events": len(slow),
        "longest_wait_in": longest,
        "waits_ms": {name: percentiles([w[i] for w in slow]) for i, name in enumerate(STAGES)},
    }


class _GcPauses:
    """Times the cyclic collector's runs in this process with ``gc.callbacks``."""

    def __init__(self, over_ms: float = 5.0) -> None:
        self.over_ms = over_ms
        # (start ms, length ms, generation, objects freed as cyclic garbage)
        self.pauses: list[tuple[float, float, int, int]] = []
        self._began = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.time()
        else:
            length = (time.time() - self._began) * 1000
            if length > self.over_ms:
                self.pauses.append(
                    (self._began * 1000, length, info["generation"], info["collected"])
                )

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def summary(self, start_ms: float) -> list[dict[str, Any]]:
        return [
            {
                "at_s": round((t - start_ms) / 1000, 2),
                "ms": round(ms, 1),
                "generation": g,
                "collected": freed,
            }
            for t, ms, g, freed in self.pauses
            if t >= start_ms
        ]


def minute_offsets(start_ms: float, seconds: float) -> list[int]:
    """Seconds after ``start_ms`` at which a wall-clock minute begins, within ``seconds``."""
    first = -(-start_ms // 60_000) * 60_000
    return [
        int((m - start_ms) // 1000)
        for m in range(int(first), int(start_ms + seconds * 1000), 60_000)
    ]


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def produce_steady(
    topic: str, prefix: str, sats: int, rate: int, seconds: float, probe: str
) -> None:
    """Child process: ``rate`` telemetry events/s for ``seconds``; 1 in 20 is the probe's.

    Each sample's timestamp is its produce time (ms), so both latencies can be measured
    from the records alone. The producer is the contract one (linger.ms 5).
    """
    producer = make_producer(get_settings())
    # A live producer knows the topic's leaders already; fetching them here keeps this
    # process's first metadata round trip out of the first records' CreateTime → 2xx.
    producer.list_topics(topic, timeout=10)
    fleet = Fleet(prefix, sats, 1, 0)
    total = int(rate * seconds)
    started = time.perf_counter()
    for i in range(total):
        pause = started + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        sample = fleet.sample(i % sats, 0)
        sample["timestamp"] = iso_time(int(time.time() * 1000))
        if i % 20 == 0:
            sample["satellite_id"] = probe
        key, value, headers = kafka_record(sample, f"{prefix}-{i}")
        producer.produce(topic, value=value, key=key, headers=headers)
        producer.poll(0)
    producer.flush(10)


def _warm_series(vm: VictoriaMetrics, probe: str, timeout: float = 60.0) -> float | None:
    """Write one old sample of the probe series and wait until it is visible.

    VictoriaMetrics makes a *new* series searchable only after its index is flushed
    (seconds); samples of a known series show up much sooner. The latency run measures
    the steady state of known series; this returns the new-series delay (ms) apart.
    """
    ts = int(time.time() * 1000) - 60_000
    selector = f'{METRIC_PREFIX}temperature{{satellite_id="{probe}"}}'
    lines = ImportLines()
    lines.add(probe, ts, (0.0,) * len(METRICS))
    started = time.time()
    vm.import_lines(lines.body())
    while time.time() - started < timeout:
        if vm.export(selector, start=ts / 1000 - 1):
            return (time.time() - started) * 1000
        time.sleep(0.01)
    return None


def poll_visible(vm_url: str, probe: str, stop: Any, results: Any) -> None:
    """Child process: poll the probe series until ``stop`` is set, then put the list of
    each new timestamp's delay (now − its produce time, ms) on ``results``."""
    visible: list[float] = []
    _poll_visible(VictoriaMetrics(vm_url), probe, visible, stop)
    results.put(visible)


def _poll_visible(vm: VictoriaMetrics, probe: str, visible: list[float], stop: Any) -> None:
    """Poll the probe series; each new timestamp's delay (now − its produce time) in ms."""
    seen: set[int] = set()
    selector = f'{METRIC_PREFIX}temperature{{satellite_id="{probe}"}}'
    while not stop.is_set():
        try:
            # a sliding window: re-reading every sample since the start on each poll would
            # cost this process (the dispatcher's) more CPU every second of the run
            series = vm.export(selector, start=time.time() - 5)
        except Exception:
            time.sleep(0.01)
            continue
        now_ms = time.time() * 1000
        for one in series:
            for ts in one.timestamps:
                if ts not in seen:
                    seen.add(ts)
                    visible.append(now_ms - ts)
        time.sleep(0.005)


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }
