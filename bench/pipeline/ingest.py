"""Ingest side by side: satmon (dispatcher + telemetry-writer) and Telegraf, alternating.

Every run gets a fresh 3-partition topic pre-loaded with the same shape of events (the
fleet under new satellite ids: CloudEvents binary mode, lz4, as the simulator writes
them) and a fresh consumer group. The consumer runs as its own process: the product's
``satmon eventing dispatch`` on a copy of the telemetry KafkaSource re-pointed at the
run's topic, into a telemetry-writer started once for the whole bench, or Telegraf.

A run is timed from the consumer group being stable until VictoriaMetrics has accepted
7·N more rows of the consumer's kind (``vm_rows_inserted_total{type="vmimport"}`` for
satmon, ``type="influx"`` for Telegraf), polled every 20 ms from this process, which
does nothing else meanwhile (the end is the midpoint of the last two polls). CPU is the
consumer's processes' user + system time over that window. Then the fleet's samples are
counted in VictoriaMetrics: ``lost`` = 7·N − stored, ``duplicated`` = rows accepted − 7·N −
the rows other writers imported meanwhile (:func:`other_writers_rows`).
"""

from __future__ import annotations

import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import yaml
from confluent_kafka import ConsumerGroupState

from bench.pipeline import telegraf
from bench.pipeline.data import Fleet, preload
from bench.pipeline.procs import proc_cpu
from satmon.clients.kafka import make_admin
from satmon.clients.vm import VictoriaMetrics
from satmon.contract.events import METRICS
from satmon.eventing.manifests import (
    ANN_EXTERNAL_TOPIC,
    ANN_LOCAL_PORT,
    load_documents,
)
from satmon.settings import Settings

SATMON = "satmon"
ARMS = (SATMON, *telegraf.SETUPS)
ROW_KIND = {SATMON: "vmimport", "telegraf-http": "influx", "telegraf-influxdb": "influx"}
POLL_S = 0.02


@dataclass
class Consumer:
    """The processes of one run's consumer; ``pids`` (by role) are the ones whose CPU counts."""

    processes: list[subprocess.Popen[bytes]]
    pids: dict[str, int]
    log: Path

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def run_ingest(
    settings: Settings,
    vm: VictoriaMetrics,
    fleet: Fleet,
    writer_url: str,
    writer_pid: int | None,
    run_id: str,
    repeats: int,
    arms: Sequence[str],
    manifests: Path,
) -> dict[str, Any]:
    """``repeats`` runs of each arm, alternating (a, b, c, a, b, c, …); per-arm medians."""
    binary = telegraf.ensure_binary() if any(a != SATMON for a in arms) else None
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="satmon-bench-") as tmp:
        folder = Path(tmp)
        for n in range(repeats):
            for arm in arms:
                index = len(runs)
                run_fleet = replace(fleet, prefix=f"BENCH-{run_id}I{index}")
                topic = f"bench-ingest-{run_id}-{index}"
                group = f"bench-{run_id}-{arm}-{n}"
                preload(settings, topic, run_fleet.samples())
                start: Callable[[], Consumer]
                if arm == SATMON:
                    start = partial(
                        _start_satmon, manifests, folder, topic, group, writer_url, writer_pid
                    )
                else:
                    assert binary is not None
                    start = partial(_start_telegraf, settings, binary, folder, arm, topic, group)
                one = _timed_run(settings, vm, run_fleet, ROW_KIND[arm], start, group)
                runs.append({"arm": arm, "topic": topic, **one})
    return {"runs": runs, "arms": {arm: _summary(runs, arm) for arm in arms}}


def _timed_run(
    settings: Settings,
    vm: VictoriaMetrics,
    fleet: Fleet,
    kind: str,
    start: Callable[[], Consumer],
    group: str,
) -> dict[str, Any]:
    events = fleet.satellites * fleet.per_sat
    target = events * len(METRICS)
    wall0 = time.time()
    rows0 = rows_inserted(vm.url, kind)
    consumer = start()
    try:
        began = _wait_stable(settings, group, consumer)
        cpu0 = _cpu(consumer)
        previous, rows = began, rows_inserted(vm.url, kind)
        deadline = began + 300
        while rows - rows0 < target:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{group}: {rows - rows0} of {target} rows in 300 s")
            _check_alive(consumer)
            time.sleep(POLL_S)
            previous, rows = time.perf_counter(), rows_inserted(vm.url, kind)
        ended = (previous + time.perf_counter()) / 2
        cpu_by_role = {role: seconds - cpu0[role] for role, seconds in _cpu(consumer).items()}
    finally:
        consumer.stop()
    time.sleep(0.5)  # a late redelivery would still count as a duplicate
    accepted = rows_inserted(vm.url, kind) - rows0
    others = other_writers_rows(vm, wall0, time.time()) if kind == "vmimport" else 0
    stored = count_fleet_samples(vm, fleet, target)
    elapsed = ended - began
    cpu = sum(cpu_by_role.values())
    return {
        "events": events,
        "seconds": elapsed,
        "events_per_s": events / elapsed,
        "cpu_s": cpu,
        "cpu_us_per_event": cpu / events * 1e6,
        "cpu_us_per_event_by_process": {r: s / events * 1e6 for r, s in cpu_by_role.items()},
        "samples_expected": target,
        "samples_stored": stored,
        "lost": target - stored,
        "rows_accepted": accepted,
        "rows_of_other_writers": others,
        "duplicated": accepted - others - target,
    }


def rows_inserted(vm_url: str, kind: str) -> int:
    """VictoriaMetrics' ``vm_rows_inserted_total`` for one ingestion protocol."""
    text = httpx.get(f"{vm_url}/metrics", timeout=10).text
    match = re.search(rf'^vm_rows_inserted_total{{type="{kind}"}} (\d+)', text, re.MULTILINE)
    return int(match.group(1)) if match else 0


def other_writers_rows(vm: VictoriaMetrics, since_s: float, until_s: float) -> int:
    """Samples stamped between ``since_s`` and ``until_s`` (epoch s): rows other writers
    imported meanwhile, as the fleet's samples are all older than the run.

    ``vm_rows_inserted_total`` counts every import, not only the consumer's: the stack's
    telemetry-writer (a simulator, the ingress) and the forecaster (anomaly thresholds)
    also use ``/api/v1/import`` and stamp their samples with the time they are written.
    Nothing in the stack writes line protocol, so Telegraf's rows need no such correction.
    Approximate at the edges (a threshold is stamped when its learning began).
    """
    window_ms = max(int((until_s - since_s) * 1000), 1)
    vm.flush_search_cache()
    result = vm.query(f'sum(count_over_time({{__name__=~".+"}}[{window_ms}ms]))', time=until_s)
    return int(float(result[0]["value"][1])) if result else 0


def count_fleet_samples(vm: VictoriaMetrics, fleet: Fleet, total: int, timeout: float = 15) -> int:
    """Every sample of the fleet's seven metrics in VictoriaMetrics (deduplicated), once
    they are searchable (about a second after the import)."""
    window = fleet.per_sat + 2
    at = fleet.start_ms / 1000 + fleet.per_sat + 1
    query = (
        f'sum(count_over_time({{__name__=~"satellite_.*",satellite_id=~"{fleet.prefix}-.*"}}'
        f"[{window}s]))"
    )
    deadline = time.monotonic() + timeout
    while True:
        vm.flush_search_cache()
        result = vm.query(query, time=at)
        stored = int(float(result[0]["value"][1])) if result else 0
        if stored >= total or time.monotonic() >= deadline:
            return stored
        time.sleep(0.5)


def _start_satmon(
    source: Path,
    folder: Path,
    topic: str,
    group: str,
    writer_url: str,
    writer_pid: int | None,
) -> Consumer:
    manifests = folder / group
    manifests.mkdir()
    write_manifests(source, manifests, topic, group, writer_url)
    log = folder / f"{group}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "satmon",
                "eventing",
                "dispatch",
                "--manifests",
                str(manifests),
                "--only",
                "telemetry-writer",
                "--no-pings",
                "--log-level",
                "WARNING",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    pids = {"dispatcher": process.pid, **({"writer": writer_pid} if writer_pid else {})}
    return Consumer([process], pids, log)


def write_manifests(source: Path, folder: Path, topic: str, group: str, writer_url: str) -> None:
    """The telemetry KafkaSource, its Service and dead-letter Broker, re-pointed at
    ``topic``, ``group`` and the bench's writer."""
    docs = {(d["kind"], d["metadata"]["name"]): d for d in load_documents(source)}
    kafka_source = docs[("KafkaSource", "telemetry-writer")]
    kafka_source["spec"] = {**kafka_source["spec"], "topics": [topic], "consumerGroup": group}
    service = docs[("Service", "telemetry-writer")]
    service["metadata"]["annotations"][ANN_LOCAL_PORT] = writer_url.rsplit(":", 1)[1]
    dead_letter = kafka_source["spec"]["delivery"]["deadLetterSink"]["ref"]["name"]
    broker = docs[("Broker", dead_letter)]
    broker["metadata"]["annotations"][ANN_EXTERNAL_TOPIC] = f"{topic}.dlq"
    chosen = [kafka_source, service, broker]
    for doc in chosen:
        doc.pop("__file__", None)
    (folder / "bench.yaml").write_text(yaml.safe_dump_all(chosen, sort_keys=False))


def _start_telegraf(
    settings: Settings, binary: Path, folder: Path, setup: str, topic: str, group: str
) -> Consumer:
    path = folder / f"{group}.toml"
    path.write_text(
        telegraf.config(
            setup,
            brokers=settings.kafka_bootstrap,
            topic=topic,
            group=group,
            vm_url=settings.vm_url,
        )
    )
    log = folder / f"{group}.log"
    process = telegraf.start(binary, path, log)
    return Consumer([process], {"telegraf": process.pid}, log)


def _wait_stable(settings: Settings, group: str, consumer: Consumer, timeout: float = 60) -> float:
    """When the group became stable with members (perf_counter seconds)."""
    admin = make_admin(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_alive(consumer)
        try:
            described = admin.describe_consumer_groups([group])[group].result(5)
            if described.state == ConsumerGroupState.STABLE and described.members:
                return time.perf_counter()
        except Exception:  # the group does not exist until its first member joins
            pass
        time.sleep(POLL_S)
    raise RuntimeError(f"consumer group {group} not stable within {timeout} s")


def _check_alive(consumer: Consumer) -> None:
    for process in consumer.processes:
        if process.poll() is not None:
            tail = consumer.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"consumer exited with {process.returncode}:\n{tail}")


def _cpu(consumer: Consumer) -> dict[str, float]:
    return {role: proc_cpu(pid) or 0.0 for role, pid in consumer.pids.items()}


def _summary(runs: Sequence[dict[str, Any]], arm: str) -> dict[str, Any]:
    mine = [r for r in runs if r["arm"] == arm]
    return {
        "runs": len(mine),
        "events_per_s": statistics.median(r["events_per_s"] for r in mine),
        "events_per_s_each": [round(r["events_per_s"]) for r in mine],
        "cpu_us_per_event": statistics.median(r["cpu_us_per_event"] for r in mine),
        "lost": sum(r["lost"] for r in mine),
        "duplicated": sum(r["duplicated"] for r in mine),
    }
