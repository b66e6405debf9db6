"""Operation API benchmark: one command, its own table, baselines measured in the same run.

    python -m bench api [--api http://127.0.0.1:8000] [--rounds 40]   (also in `make bench`)
    python -m bench api --only csv [--only submit]   (some parts alone, ingest still beside)

On the running stack (``satmon up``), while telemetry flows at 1,000 events/s (the bench
sends it: SAT-001…003 at 1 Hz and LOAD-001…010 at 99.7 Hz):
- ``trends/raw`` over the last week of SAT-001…003 (500 buckets), cold (VictoriaMetrics'
  caches reset before each query) and warm, next to the same MetricsQL sent straight to
  VictoriaMetrics, alternating;
- ``trends/compare`` over the same week;
- ``export/csv`` of SAT-001's week: seconds, rows, the API process' RSS growth;
- ``inference/submit`` from 32 keep-alive connections, next to bare Kafka produce
  acknowledgements (acks=all, the API's producer settings, 32 in flight);
- the latest forecasts of a series with thousands of jobs, read by key next to the
  sort over every job it replaced (``bench.api_forecasts``).
A missing week is backfilled first with ``satmon simulate --backfill 1w``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

from bench.api_forecasts import forecast_rows
from bench.pipeline.procs import proc_cpu
from satmon.api.buckets import bucket_query, slots_for
from satmon.api.upstream.kafka import Publisher
from satmon.clients.kafka import ensure_topics, make_admin
from satmon.contract.events import TYPE_FORECAST_REQUESTED, make_event
from satmon.settings import get_settings
from satmon.simulator.generator import generate
from satmon.simulator.producer import make_sender, send_paced
from satmon.stack.process import ProcessTable

SATELLITES = ("SAT-001", "SAT-002", "SAT-003")
SUBMITTED = "LOAD-001"
"""The submits' satellite (one of the ingest's): the thousands of jobs they leave would
otherwise be the forecasts the next run's ``trends/compare`` reads."""
PARTS = ("trends", "csv", "submit", "forecasts")
WEEK_S = 7 * 86400
BENCH_TOPIC = "bench.api-produce"


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default=f"http://{settings.api_host}:{settings.api_port}")
    parser.add_argument("--rounds", type=int, default=40, help="queries per kind and state")
    parser.add_argument("--submits", type=int, default=6000)
    parser.add_argument("--forecast-jobs", type=int, default=6000, help="per model")
    parser.add_argument("--no-backfill", action="store_true", help="measure whatever is stored")
    parser.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="measure only this part (repeatable; default every part); ingest still runs beside",
    )
    args = parser.parse_args()
    parts = set(args.only or PARTS)
    if not args.no_backfill:
        ensure_week(settings.vm_url)
    rows: list[tuple[str, str, str, str]] = []
    with Ingest(rate_hz=99.7):
        time.sleep(3)
        if "trends" in parts:
            trends_rows(args.api, settings.vm_url, args.rounds, rows)
        if "csv" in parts:
            rows.append(csv_row(args.api, settings))
        if "submit" in parts:
            submit_rows(args.api, settings, args.submits, rows)
        if "forecasts" in parts:
            rows.extend(forecast_rows(settings, args.forecast_jobs, args.rounds))
    print_table(rows)


# --- data ------------------------------------------------------------------------------
def ensure_week(vm_url: str) -> None:
    """Backfill SAT-001…003's last week through the pipeline unless it is there."""
    now = time.time()
    query = 'count_over_time(satellite_temperature{satellite_id=~"SAT-00[123]"}[1w])'
    have = httpx.get(f"{vm_url}/api/v1/query", params={"query": query, "time": now}).json()
    counts = [float(r["value"][1]) for r in have["data"]["result"]]
    if len(counts) == 3 and min(counts) >= 0.95 * WEEK_S:
        return
    print("backfilling SAT-001…003's last week (satmon simulate --backfill 1w)…", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-m", "satmon", "simulate", "--satellites", "3", "--backfill", "1w"],
        check=True,
    )
    time.sleep(5)


class Ingest:
    """1,000 telemetry events/s on Kafka while the bench measures, paced to the clock."""

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = rate_hz
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> Ingest:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        own = generate(3, 1.0, start)
        load = (
            s.model_copy(update={"satellite_id": "LOAD-" + s.satellite_id[4:]})
            for s in generate(10, self.rate_hz, start, seed=7)
        )
        for samples in (own, load):
            sender = make_sender()
            thread = threading.Thread(
                target=send_paced, args=(samples, sender, self.stop), daemon=True
            )
            thread.start()
            self.threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)


# --- trends ----------------------------------------------------------------------------
def trends_rows(api: str, vm_url: str, rounds: int, rows: list[tuple[str, str, str, str]]) -> None:
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(weeks=1)
    window = {"start": start.isoformat(), "end": end.isoformat()}
    slots = slots_for(int(start.timestamp() * 1000), int(end.timestamp() * 1000), 500)
    q_start, q_end, step = slots.query_window_s
    with httpx.Client(base_url=api, timeout=30) as client, httpx.Client(timeout=30) as direct:

        def api_raw(sat: str) -> None:
            params = {"satellite": sat, "metric": "temperature", "mode": "buckets"} | window
            answer = client.get("/api/v1/trends/raw", params=params)
            assert answer.status_code == 200, answer.text

        def vm_raw(sat: str) -> None:
            query = bucket_query(["temperature"], sat, slots.width_ms)
            params = {"query": query, "start": q_start, "end": q_end, "step": f"{step:g}"}
            answer = direct.get(f"{vm_url}/api/v1/query_range", params=params)
            assert answer.status_code == 200, answer.text

        def api_compare(sat: str) -> None:
            params = {"satellite": sat, "metric": "temperature"} | window
            answer = client.get("/api/v1/trends/compare", params=params)
            assert answer.status_code == 200, answer.text

        def cold() -> None:
            direct.get(f"{vm_url}/internal/resetRollupResultCache")

        for state, reset in (("cold", cold), ("warm", None)):
            api_t, vm_t, cmp_t = [], [], []
            for i in range(rounds):
                sat = SATELLITES[i % 3]
                for fn, out in ((api_raw, api_t), (vm_raw, vm_t), (api_compare, cmp_t)):
                    if reset:
                        reset()
                    began = time.perf_counter()
                    fn(sat)
                    out.append((time.perf_counter() - began) * 1000)
            a, v, c = _pcts(api_t), _pcts(vm_t), _pcts(cmp_t)
            ratio = f"{a[1] / v[1]:.2f}× direct p99"
            rows.append(
                (f"trends/raw 1 week, {state}", _ms(a), ratio, "p99 < 50 ms, ≤ 1.5× direct")
            )
            rows.append((f"  VictoriaMetrics direct, {state}", _ms(v), "", ""))
            rows.append((f"trends/compare 1 week, {state}", _ms(c), "", "p99 < 100 ms"))


# --- CSV -------------------------------------------------------------------------------
def csv_row(api: str, settings: object) -> tuple[str, str, str, str]:
    pid = _api_pid(settings)
    before = _rss_mb(pid)
    cpu_before = proc_cpu(pid) or 0.0
    peak = [before]
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mb(pid))
            done.wait(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    end = datetime.now(UTC).replace(microsecond=0)
    params = {"satellite": "SAT-001", "start": (end - timedelta(weeks=1)).isoformat(),
              "end": end.isoformat()}  # fmt: skip
    lines = 0
    began = time.perf_counter()
    with httpx.stream("GET", f"{api}/api/v1/export/csv", params=params, timeout=120) as answer:
        assert answer.status_code == 200
        for chunk in answer.iter_bytes():
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - began
    cpu = (proc_cpu(pid) or 0.0) - cpu_before  # whatever else the machine does
    done.set()
    watcher.join()
    return (
        "export/csv 1 week of SAT-001",
        f"{seconds:.2f} s, {lines - 1:,} rows",
        f"RSS +{peak[0] - before:.1f} MB, API CPU {cpu:.2f} s",
        "< 5 s, RSS growth < 50 MB",
    )


def _api_pid(settings: object) -> int:
    running = ProcessTable(Path(settings.run_dir)).get("api")  # type: ignore[attr-defined]
    if running is None or not running.alive:
        raise SystemExit("the api component is not running: satmon up --detach")
    return running.pid


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- submit ----------------------------------------------------------------------------
def submit_rows(
    api: str, settings: object, total: int, rows: list[tuple[str, str, str, str]]
) -> None:
    rate, submit = asyncio.run(_submits(api, settings.api_token, total))  # type: ignore[attr-defined]
    produce = asyncio.run(_produces(settings, total))
    s, p = _pcts(submit), _pcts(produce)
    measured = f"{rate:,.0f} req/s, {_ms(s)}"
    goal = "≥ 1,000 req/s, p99 ≤ 2× produce p99"
    rows.append(
        ("inference/submit, 32 connections", measured, f"{s[1] / p[1]:.2f}× produce p99", goal)
    )
    rows.append(
        ("  bare Kafka produce ack, 32 in flight", f"p50 {p[0]:.1f} / p99 {p[1]:.1f} ms", "", "")
    )


async def _submits(
    api: str, token: str, total: int, connections: int = 32
) -> tuple[float, list[float]]:
    """Closed loop over raw keep-alive HTTP/1.1 connections (a light client: two cores)."""
    url = httpx.URL(api)
    body = json.dumps({"satellite": SUBMITTED, "metric": "temperature", "model": "vae"}).encode()
    request = (
        f"POST /api/v1/inference/submit HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    left = [total]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(url.host, url.port)
        while left[0] > 0:
            left[0] -= 1
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - began) * 1000)
            assert head.startswith(b"HTTP/1.1 202"), head[:100]
        writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return total / (time.perf_counter() - began), latencies


async def _produces(settings: object, total: int, in_flight: int = 32) -> list[float]:
    ensure_topics(make_admin(settings), [BENCH_TOPIC])  # type: ignore[arg-type]
    publisher = Publisher(settings)  # type: ignore[arg-type]
    latencies: list[float] = []
    left = [total]

    async def worker() -> None:
        while left[0] > 0:
            left[0] -= 1
            job = str(uuid.uuid4())
            data = {"job_id": job, "satellite_id": SUBMITTED, "metric": "temperature",
                    "model": "vae_timeseries", "trigger": "api"}  # fmt: skip
            event = make_event(TYPE_FORECAST_REQUESTED, "/bench", data, key=SUBMITTED, event_id=job)
            began = time.perf_counter()
            await publisher.publish(BENCH_TOPIC, event)
            latencies.append((time.perf_counter() - began) * 1000)

    try:
        await asyncio.gather(*(worker() for _ in range(in_flight)))
    finally:
        publisher.close()
    return latencies


# --- output ----------------------------------------------------------------------------
def _pcts(samples: list[float]) -> tuple[float, float]:
    values = np.asarray(samples)
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def _ms(p: tuple[float, float]) -> str:
    return f"p50 {p[0]:.1f} / p99 {p[1]:.1f} ms"


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    head = ("", "measured", "ratio", "goal")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    for row in [head, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    main()
