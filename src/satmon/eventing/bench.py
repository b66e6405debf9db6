"""Pipeline benchmark: Kafka → dispatcher → telemetry-writer → VictoriaMetrics.

One run measures, on fresh topics / consumer groups and distinct satellite ids
(``BENCH-<runid>-NNN``) so that runs never collide:

1. **pipeline** — N telemetry events pre-loaded into a fresh topic, then timed from
   partition assignment until the dispatcher has every event acknowledged by the
   telemetry-writer (which answers only after VictoriaMetrics accepted the import);
   the samples are then counted in VictoriaMetrics;
2. **direct** — VictoriaMetrics' own ceiling for the same samples: pre-built, batched
   JSON-line bodies POSTed straight to ``/api/v1/import`` from this process;
3. **naive** — the original one-at-a-time consumer (poll one record, decode, one
   import, commit), for a bounded number of records or seconds, rate extrapolated;
4. **latency** — at a steady rate (1,000 events/s), event → stored (the sink's 2xx)
   and event → queryable (visible in ``/api/v1/export``) p50 / p99.

Results go to ``bench/results/pipeline-<runid>.json`` and a table on the console.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from satmon.eventing.dispatcher import Dispatcher
from satmon.eventing.manifests import HttpSink, Subscription, load_topology
from satmon.events import METRIC_PREFIX, METRICS, TYPE_TELEMETRY, from_kafka, parse_telemetry
from satmon.kafka import ensure_topics, make_admin, make_consumer, make_producer
from satmon.settings import Settings, get_settings
from satmon.vm import VictoriaMetrics

log = logging.getLogger(__name__)
GOAL_VS_DIRECT = 0.35
GOAL_VS_NAIVE = 50.0
GOAL_P99_MS = 50.0


@dataclass
class Fleet:
    """Synthetic telemetry: ``satellites`` series, ``per_sat`` points 1 s apart, ending now."""

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
            "timestamp": _iso(self.start_ms + step * 1000),
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
    """A telemetry CloudEvent in Kafka binary mode (as ``satmon.events.to_kafka`` writes it)."""
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
    """Series-grouped JSON lines for /api/v1/import (the writer's format)."""
    by_sat: dict[str, list[dict[str, Any]]] = {}
    for s in samples:
        by_sat.setdefault(s["satellite_id"], []).append(s)
    lines = []
    for sat, group in by_sat.items():
        stamps = json.dumps([_ms(s["timestamp"]) for s in group])
        for metric in METRICS:
            values = json.dumps([float(s[metric]) for s in group])
            lines.append(
                f'{{"metric":{{"__name__":"{METRIC_PREFIX}{metric}","satellite_id":"{sat}"}},'
                f'"values":{values},"timestamps":{stamps}}}\n'
            )
    return "".join(lines).encode()


# --- the run -----------------------------------------------------------------------------


def bench(
    events: Annotated[int, typer.Option(help="events pre-loaded for the throughput run")] = 100_000,
    satellites: Annotated[int, typer.Option(help="distinct satellites")] = 100,
    naive_max: Annotated[int, typer.Option(help="records for the naive consumer at most")] = 2000,
    naive_seconds: Annotated[float, typer.Option(help="seconds for the naive consumer")] = 15.0,
    direct_threads: Annotated[int, typer.Option(help="concurrent direct importers")] = 4,
    latency_rate: Annotated[int, typer.Option(help="events/s for the latency run")] = 1000,
    latency_seconds: Annotated[float, typer.Option(help="length of the latency run")] = 20.0,
    writer_url: Annotated[
        str | None, typer.Option(help="use this telemetry-writer instead of starting one")
    ] = None,
    writer_workers: Annotated[int, typer.Option(help="gunicorn workers of the writer")] = 1,
    manifests: Annotated[Path, typer.Option(help="eventing manifests")] = Path("eventing"),
    output_dir: Annotated[Path, typer.Option(help="where the JSON goes")] = Path("bench/results"),
    keep: Annotated[bool, typer.Option(help="keep bench topics and series")] = False,
) -> None:
    """Measure the telemetry pipeline against VictoriaMetrics' ceiling and a naive consumer."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    run_id = uuid.uuid4().hex[:6]
    root = settings.repo_root
    topo = load_topology(manifests if manifests.exists() else root / manifests)
    base_sub = topo.subscription("telemetry-writer")
    vm = VictoriaMetrics(settings.vm_url, timeout=60.0)
    if not vm.healthy():
        raise typer.BadParameter(f"VictoriaMetrics is not up at {settings.vm_url}")
    result: dict[str, Any] = {
        "run_id": run_id,
        "started": datetime.now(UTC).isoformat(),
        "host": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "params": {
            "events": events,
            "satellites": satellites,
            "batch_max_events": base_sub.batch_max_events,
            "batch_max_wait_ms": base_sub.batch_max_wait_ms,
            "max_in_flight": base_sub.max_in_flight,
            "writer_workers": writer_workers,
        },
    }
    writer = None if writer_url else start_writer(root, writer_workers)
    url = writer_url or (writer.url if writer else "")
    topics: list[str] = []
    try:
        per_sat = max(events // satellites, 1)
        start_ms = int(time.time() * 1000) - per_sat * 1000 - 60_000
        fleet = Fleet(f"BENCH-{run_id}", satellites, per_sat, start_ms)
        samples = fleet.samples()
        topic = f"bench-telemetry-{run_id}"
        topics.append(topic)
        result["preload"] = preload(settings, topic, samples)
        sub = replace(
            base_sub, topics=(topic,), group=f"bench-{run_id}", sink=HttpSink(url, "bench-writer")
        )
        writer_cpu0 = _proc_cpu(writer.process.pid) if writer else None
        result["pipeline"] = run_pipeline(settings, sub, len(samples), vm, fleet)
        if writer is not None and writer_cpu0 is not None:
            writer_cpu = (_proc_cpu(writer.process.pid) or 0.0) - writer_cpu0
            result["pipeline"]["writer_cpu_s"] = writer_cpu
        direct_fleet = replace(fleet, prefix=f"BENCH-{run_id}D")
        result["direct"] = run_direct(settings, direct_fleet.samples(), direct_threads)
        result["naive"] = run_naive(
            settings, topic, f"bench-naive-{run_id}", naive_max, naive_seconds
        )
        if latency_seconds > 0:
            lat_topic = f"bench-latency-{run_id}"
            topics.append(lat_topic)
            lat_sub = replace(sub, topics=(lat_topic,), group=f"bench-lat-{run_id}")
            result["latency"] = run_latency(
                settings, lat_sub, vm, f"BENCH-{run_id}L", latency_rate, latency_seconds
            )
        pipe, direct, naive = (result[k]["events_per_s"] for k in ("pipeline", "direct", "naive"))
        result["ratios"] = {"pipeline_vs_direct": pipe / direct, "pipeline_vs_naive": pipe / naive}
    finally:
        if writer is not None:
            writer.stop()
        if not keep:
            cleanup(settings, vm, topics, run_id)
        vm.close()
    out = output_dir if output_dir.is_absolute() else root / output_dir
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"pipeline-{run_id}.json"
    path.write_text(json.dumps(result, indent=2))
    report(result, path)


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
    vm.flush_search_cache()
    stored = count_samples(vm, fleet)
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


def run_latency(
    settings: Settings,
    sub: Subscription,
    vm: VictoriaMetrics,
    prefix: str,
    rate: int,
    seconds: float,
    sats: int = 50,
) -> dict[str, Any]:
    """Steady ``rate`` events/s from a separate producer process.

    event → stored: the dispatcher's acknowledgement time minus the record's Kafka
    CreateTime (set when the producer called ``produce``); event → queryable: when a
    probe satellite's sample (timestamp = its produce time) shows in /api/v1/export.
    """
    import multiprocessing

    ensure_topics(make_admin(settings), [sub.topics[0]], partitions=3)
    stored: list[float] = []
    lock = threading.Lock()

    def on_delivered(envs: Sequence[Any], at: float) -> None:
        at_ms = at * 1000
        with lock:
            stored.extend(at_ms - env.timestamp_ms for env in envs if env.timestamp_ms)

    dispatcher = Dispatcher([sub], settings=settings, on_delivered=on_delivered)
    dispatcher.start()
    probe = f"{prefix}-PROBE"
    visible: list[float] = []
    stop_poll = threading.Event()
    poller = threading.Thread(
        target=_poll_visible, args=(vm, probe, visible, stop_poll), daemon=True
    )
    new_series_ms = _warm_series(vm, probe)
    producer = multiprocessing.get_context("spawn").Process(
        target=produce_steady, args=(sub.topics[0], prefix, sats, rate, seconds, probe)
    )
    try:
        if not dispatcher.wait_ready(60):
            raise RuntimeError("the latency consumer got no partitions")
        poller.start()
        producer.start()
        producer.join(seconds + 60)
        if producer.exitcode != 0:
            raise RuntimeError(f"latency producer failed (exit {producer.exitcode})")
        time.sleep(2.0)
    finally:
        if producer.is_alive():
            producer.terminate()
        stop_poll.set()
        dispatcher.stop.set()
        dispatcher.join(30)
        poller.join(5)
    warm = int(len(stored) * 0.05)  # drop the first 5 % (connection set-up)
    steady = stored[warm:]
    return {
        "rate": rate,
        "seconds": seconds,
        "sent": int(rate * seconds),
        "acknowledged": len(stored),
        "stored_ms": _percentiles(steady),
        "queryable_ms": _percentiles(visible),
        "queryable_probes": len(visible),
        "queryable_via": "/api/v1/export (raw samples)",
        "new_series_visible_ms": new_series_ms,
    }


def produce_steady(
    topic: str, prefix: str, sats: int, rate: int, seconds: float, probe: str
) -> None:
    """Child process: ``rate`` telemetry events/s for ``seconds``; 1 in 20 is the probe's.

    Each sample's timestamp is its produce time (ms), so both latencies can be measured
    from the records alone. The producer is the contract one (linger.ms 5).
    """
    producer = make_producer(get_settings())
    fleet = Fleet(prefix, sats, 1, 0)
    total = int(rate * seconds)
    started = time.perf_counter()
    for i in range(total):
        pause = started + i / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        sample = fleet.sample(i % sats, 0)
        sample["timestamp"] = _iso(int(time.time() * 1000))
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
    line = (
        f'{{"metric":{{"__name__":"{METRIC_PREFIX}temperature","satellite_id":"{probe}"}},'
        f'"values":[0.0],"timestamps":[{ts}]}}\n'
    )
    started = time.time()
    vm.import_lines(line.encode())
    while time.time() - started < timeout:
        if vm.export(selector, start=ts / 1000 - 1):
            return (time.time() - started) * 1000
        time.sleep(0.01)
    return None


def _poll_visible(
    vm: VictoriaMetrics, probe: str, visible: list[float], stop: threading.Event
) -> None:
    """Poll the probe series; each new timestamp's delay (now − its produce time) in ms."""
    seen: set[int] = set()
    start = time.time() - 5
    selector = f'{METRIC_PREFIX}temperature{{satellite_id="{probe}"}}'
    while not stop.is_set():
        try:
            series = vm.export(selector, start=start)
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


def cleanup(settings: Settings, vm: VictoriaMetrics, topics: list[str], run_id: str) -> None:
    try:
        if topics:
            admin = make_admin(settings)
            for future in admin.delete_topics(topics).values():
                future.result(30)
        httpx.post(
            f"{settings.vm_url}/api/v1/admin/tsdb/delete_series",
            params={"match[]": f'{{satellite_id=~"BENCH-{run_id}.*"}}'},
            timeout=30,
        )
    except Exception as exc:  # cleanup must not hide the results
        log.warning("bench cleanup incomplete: %s", exc)


def report(result: dict[str, Any], path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"satmon pipeline benchmark (run {result['run_id']})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("goal", justify="right")
    pipe, direct, naive = result["pipeline"], result["direct"], result["naive"]
    table.add_row("pipeline Kafka→dispatcher→writer→VM", f"{pipe['events_per_s']:,.0f} ev/s", "")
    table.add_row("  stored in VM / sent", f"{pipe['stored_in_vm']:,} / {pipe['events']:,}", "all")
    table.add_row("VM direct import ceiling", f"{direct['events_per_s']:,.0f} ev/s", "")
    table.add_row("naive one-at-a-time consumer", f"{naive['events_per_s']:,.0f} ev/s", "")
    ratios = result.get("ratios", {})
    if ratios:
        table.add_row(
            "pipeline / direct",
            f"{ratios['pipeline_vs_direct']:.1%}",
            _mark(ratios["pipeline_vs_direct"] >= GOAL_VS_DIRECT, f"≥ {GOAL_VS_DIRECT:.0%}"),
        )
        table.add_row(
            "pipeline / naive",
            f"{ratios['pipeline_vs_naive']:.0f}×",
            _mark(ratios["pipeline_vs_naive"] >= GOAL_VS_NAIVE, f"≥ {GOAL_VS_NAIVE:.0f}×"),
        )
    lat = result.get("latency")
    if lat:
        st, q = lat["stored_ms"], lat["queryable_ms"]
        table.add_row(
            f"event→stored p50 / p99 @ {lat['rate']}/s",
            f"{st['p50']:.1f} / {st['p99']:.1f} ms",
            _mark(st["p99"] <= GOAL_P99_MS, f"p99 ≤ {GOAL_P99_MS:.0f} ms"),
        )
        table.add_row(
            f"event→queryable p50 / p99 @ {lat['rate']}/s",
            f"{q['p50']:.1f} / {q['p99']:.1f} ms",
            "",
        )
        if lat.get("new_series_visible_ms") is not None:
            table.add_row(
                "  first sample of a new series queryable after",
                f"{lat['new_series_visible_ms']:.0f} ms",
                "",
            )
    console = Console()
    console.print(table)
    console.print(f"results: {path}")


def _mark(ok: bool, goal: str) -> str:
    return f"{goal} {'✓' if ok else '✗'}"


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }


@dataclass
class Writer:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_writer(root: Path, workers: int) -> Writer:
    """The telemetry-writer on a free port, via the function host (batched mode on)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WORKERS": str(workers), "SATMON_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satmon.pipeline.host",
            "--source",
            str(root / "functions/telemetry-writer/main.py"),
            "--target",
            "write_telemetry",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_http(url, process, lambda r: r.status_code == 200)
    return Writer(process, url)


def _wait_http(
    url: str,
    process: subprocess.Popen[bytes],
    ok: Callable[[httpx.Response], bool],
    timeout: float = 60.0,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"telemetry-writer exited with {process.returncode}")
        try:
            response = httpx.post(
                url,
                content=b"[]",
                timeout=2.0,
                headers={"Content-Type": "application/cloudevents-batch+json"},
            )
            if ok(response):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"telemetry-writer not answering at {url}")


def _proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its children, from /proc (Linux)."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
        for one in pids:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def _iso(ms: int) -> str:
    return (
        datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    )


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


bench_app = typer.Typer()
bench_app.command()(bench)
