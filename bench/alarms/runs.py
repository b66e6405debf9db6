"""The alarm benchmark's runs: throughput of the alarm path beside the telemetry-writer
path on the same telemetry, and alarm raised → visible in GET /alarms at a steady rate.

Every run has its own topic, consumer group and satellite ids. The consumers run as the
stack runs them: ``satmon eventing dispatch`` over the product's manifests re-pointed
at the run's topic, into a function process started the way the launcher starts it.
"""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml
from confluent_kafka import ConsumerGroupState

from bench.alarms.data import produce_steady, renamed
from bench.pipeline.data import preload
from bench.pipeline.ingest import rows_inserted, write_manifests
from bench.pipeline.latency import percentiles
from bench.pipeline.procs import proc_cpu
from satmon.clients.kafka import make_admin
from satmon.contract.events import METRICS
from satmon.eventing.manifests import ANN_EXTERNAL_TOPIC, ANN_LOCAL_PORT, load_documents
from satmon.settings import Settings

POLL_S = 0.02


def start_dispatcher(folder: Path, only: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "satmon", "eventing", "dispatch", "--manifests", str(folder),
             "--only", only, "--no-pings", "--log-level", "WARNING"],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def alarm_manifests(source: Path, folder: Path, topic: str, evaluator_url: str) -> None:
    """The alarm-evaluator Trigger and Service, its Broker re-pointed at ``topic``."""
    docs = {(d["kind"], d["metadata"]["name"]): d for d in load_documents(source)}
    trigger, service = docs[("Trigger", "alarm-evaluator")], docs[("Service", "alarm-evaluator")]
    broker = docs[("Broker", trigger["spec"]["broker"])]
    dead = docs[("Broker", trigger["spec"]["delivery"]["deadLetterSink"]["ref"]["name"])]
    broker["metadata"]["annotations"][ANN_EXTERNAL_TOPIC] = topic
    dead["metadata"]["annotations"][ANN_EXTERNAL_TOPIC] = topic + ".dlq"
    trigger["metadata"]["name"] = f"bench-{topic}"  # its own consumer group
    service["metadata"]["annotations"][ANN_LOCAL_PORT] = evaluator_url.rsplit(":", 1)[1]
    chosen = [trigger, service, broker, dead]
    for doc in chosen:
        doc.pop("__file__", None)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.yaml").write_text(yaml.safe_dump_all(chosen, sort_keys=False))


def throughput(
    settings: Settings,
    arm: str,
    samples: list[dict[str, Any]],
    prefix: str,
    topic: str,
    sink: tuple[str, int],
    manifests: Path,
    folder: Path,
) -> dict[str, Any]:
    """One run of one arm (``writer`` or ``evaluator``) over ``samples`` under ``prefix``."""
    run = renamed(samples, prefix)
    preload(settings, topic, run)
    url, pid = sink
    here = folder / topic
    if arm == "writer":
        here.mkdir(parents=True)
        write_manifests(manifests, here, topic, f"bench-{topic}", url)
        done = _vm_rows(settings, len(run) * len(METRICS))
        group, only = f"bench-{topic}", "telemetry-writer"
    else:
        alarm_manifests(manifests, here, topic, url)
        done = _judged(settings, run)
        group, only = f"knative-trigger-satmon-bench-{topic}", f"bench-{topic}"
    dispatcher = start_dispatcher(here, only, folder / f"{topic}.log")
    try:
        began = _stable(settings, group, dispatcher)
        cpu0 = {"dispatcher": proc_cpu(dispatcher.pid) or 0.0, arm: proc_cpu(pid) or 0.0}
        deadline = began + 300
        previous = began
        while not done():
            if time.perf_counter() > deadline or dispatcher.poll() is not None:
                raise RuntimeError(f"{arm} run on {topic} did not finish")
            previous = time.perf_counter()
            time.sleep(POLL_S)
        ended = (previous + time.perf_counter()) / 2
        cpu = {"dispatcher": (proc_cpu(dispatcher.pid) or 0.0) - cpu0["dispatcher"],
               arm: (proc_cpu(pid) or 0.0) - cpu0[arm]}  # fmt: skip
    finally:
        dispatcher.terminate()
        dispatcher.wait(30)
    seconds = ended - began
    return {
        "arm": arm,
        "topic": topic,
        "events": len(run),
        "seconds": seconds,
        "events_per_s": len(run) / seconds,
        "cpu_us_per_event": {k: v / len(run) * 1e6 for k, v in cpu.items()},
    }


def latency(
    settings: Settings,
    topic: str,
    prefix: str,
    evaluator: tuple[str, int],
    manifests: Path,
    folder: Path,
    rate: int,
    seconds: float,
    warmup: float,
    probes_per_s: float,
) -> dict[str, Any]:
    """``rate`` events/s for ``warmup`` + ``seconds``; each probe's alarm raised → first
    seen in the running API's ``GET /api/v1/alarms``; the CPU of the evaluator and of its
    dispatcher over the measured seconds."""
    url, pid = evaluator
    alarm_manifests(manifests, folder / topic, topic, url)
    preload(settings, topic, [])
    dispatcher = start_dispatcher(folder / topic, f"bench-{topic}", folder / f"{topic}.log")
    try:
        _stable(settings, f"knative-trigger-satmon-bench-{topic}", dispatcher)
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        producer = context.Process(
            target=produce_steady,
            args=(topic, prefix, 100, rate, warmup + seconds, probes_per_s, out),
        )
        started = time.time()
        producer.start()
        seen = _watch_api(settings, prefix, started, warmup, producer, pid, dispatcher.pid)
        produced: dict[str, float] = json.loads(out.get(timeout=60))
        producer.join(30)
    finally:
        dispatcher.terminate()
        dispatcher.wait(30)
    measured = {p: t for p, t in produced.items() if t >= started + warmup}
    delays = [(seen["first"][p] - t) * 1000 for p, t in measured.items() if p in seen["first"]]
    return {
        "rate": rate,
        "seconds": seconds,
        "probes": len(measured),
        "never_seen": len(measured) - len(delays),
        "visible_ms": percentiles(delays),
        "poll_ms": POLL_S * 1000,
        "cores": seen["cores"],
    }


def _watch_api(
    settings: Settings,
    prefix: str,
    started: float,
    warmup: float,
    producer: Any,
    evaluator_pid: int,
    dispatcher_pid: int,
) -> dict[str, Any]:
    """Poll the newest limit alarms until the producer is done and 3 s more; the first
    time each probe's alarm showed; the cores used over the measured window."""
    base = f"http://{settings.api_host}:{settings.api_port}/api/v1/alarms"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started - 120))
    first: dict[str, float] = {}
    cpu0: dict[str, float] | None = None
    window0 = 0.0
    ended_at: float | None = None
    cores: dict[str, float] = {}
    with httpx.Client(timeout=5) as http:
        while ended_at is None or time.time() < ended_at + 3:
            if cpu0 is None and time.time() >= started + warmup:
                cpu0 = {"evaluator": proc_cpu(evaluator_pid) or 0.0,
                        "dispatcher": proc_cpu(dispatcher_pid) or 0.0}  # fmt: skip
                window0 = time.perf_counter()
            if ended_at is None and not producer.is_alive():
                ended_at = time.time()
                cores = _cores(cpu0, window0, evaluator_pid, dispatcher_pid)
            page = http.get(base, params={"kind": "limit", "limit": 20, "start": since}).json()
            now = time.time()
            for alarm in page.get("items", []):
                if alarm["satellite"].startswith(prefix) and alarm["satellite"] not in first:
                    first[alarm["satellite"]] = now
            time.sleep(POLL_S)
    return {"first": first, "cores": cores}


def _cores(cpu0: dict[str, float] | None, window0: float, ev: int, disp: int) -> dict[str, float]:
    span = max(time.perf_counter() - window0, 1e-9)
    base = cpu0 or {"evaluator": 0.0, "dispatcher": 0.0}
    return {
        "evaluator": ((proc_cpu(ev) or 0.0) - base["evaluator"]) / span,
        "dispatcher": ((proc_cpu(disp) or 0.0) - base["dispatcher"]) / span,
    }


def _vm_rows(settings: Settings, target: int) -> Callable[[], bool]:
    rows0 = rows_inserted(settings.vm_url, "vmimport")
    return lambda: rows_inserted(settings.vm_url, "vmimport") - rows0 >= target


def _judged(settings: Settings, samples: list[dict[str, Any]]) -> Callable[[], bool]:
    """Done once every satellite's newest sample has been judged (its watermark)."""
    last: dict[str, str] = {}
    for s in samples:
        last[s["satellite_id"]] = max(last.get(s["satellite_id"], ""), s["timestamp"])
    conn = psycopg.connect(settings.pg_dsn, autocommit=True)
    stamps = {sat: int(_epoch(ts) * 1000) for sat, ts in last.items()}

    def done() -> bool:
        rows = conn.execute(
            "SELECT count(*) FROM alarm_satellites s JOIN unnest(%s::text[], %s::bigint[])"
            " AS k(sat, ms) ON s.satellite_id = k.sat AND s.last_ms >= k.ms",
            (list(stamps), list(stamps.values())),
        ).fetchone()
        return bool(rows and rows[0] == len(stamps))

    return done


def _stable(settings: Settings, group: str, process: subprocess.Popen[bytes]) -> float:
    admin = make_admin(settings)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dispatcher of {group} exited")
        try:
            described = admin.describe_consumer_groups([group])[group].result(5)
            if described.state == ConsumerGroupState.STABLE and described.members:
                return time.perf_counter()
        except Exception:  # the group does not exist until its first member joins
            pass
        time.sleep(POLL_S)
    raise RuntimeError(f"consumer group {group} not stable within 60 s")


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
