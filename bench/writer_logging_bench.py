"""What logging costs the telemetry-writer: its CPU per event with the stack's logging
(``INFO``, JSON lines into a file, each request's id bound) against logging off.

    python -m bench writer-logging [--rounds 5] [--shapes 5:2000,1000:300]

Two telemetry-writers on the running VictoriaMetrics (``satmon up``), started as the
bench's pipeline writer is (the function host, batched mode, ``--workers`` gunicorn
workers): *logging* at the stack's level with its records appended to a file, as the
launcher keeps a component's; *off* with ``SATMON_LOG_LEVEL=off`` (no records, no
request-id binding: what the writer would cost without logging). Each round POSTs, for
each shape ``SIZE:BATCHES``, that many batches of that many events to one writer, then
the other (the order flips every round, so a drift of the machine weighs on both), and
reads the writer's CPU time (main process and workers, from ``/proc``, in clock ticks:
hence a few seconds of CPU per run) before and after. Sizes: 5 events is what the
dispatcher sends at 1,000 events/s (its 5 ms batch window), 1,000 its largest batch.
Logging's share = median CPU per event with logging / median without − 1; goal
(issue 18): ≤ 5 %. The records the logging writer wrote are counted too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.pipeline.data import Fleet
from bench.pipeline.procs import Writer, delete_series, proc_cpu, start_writer
from satmon.contract.events import TYPE_TELEMETRY
from satmon.settings import get_settings

GOAL_SHARE = 0.05
ARMS = ("logging", "off")
BATCH = {"Content-Type": "application/cloudevents-batch+json"}


def batch_bodies(fleet: Fleet, size: int, count: int) -> list[bytes]:
    """``count`` batch bodies of ``size`` structured telemetry events, as the dispatcher
    posts them (each event new: its satellite and second are the fleet's next)."""
    samples = fleet.samples()
    assert len(samples) >= size * count, "fleet too small for the batches"
    bodies = []
    for n in range(count):
        items = [
            {
                "specversion": "1.0",
                "id": uuid.uuid4().hex,
                "source": f"/satellites/{s['satellite_id']}",
                "type": TYPE_TELEMETRY,
                "time": s["timestamp"],
                "datacontenttype": "application/json",
                "partitionkey": s["satellite_id"],
                "data": s,
            }
            for s in samples[n * size : (n + 1) * size]
        ]
        bodies.append(json.dumps(items).encode())
    return bodies


def cpu_per_event_us(writer: Writer, bodies: list[bytes], size: int) -> float:
    """POST every body in turn (each must answer 2xx); the writer's CPU µs per event."""
    with httpx.Client(base_url=writer.url, timeout=30) as http:
        http.post("/", content=bodies[0], headers=BATCH).raise_for_status()  # warm
        before = proc_cpu(writer.process.pid)
        for body in bodies[1:]:
            answer = http.post("/", content=body, headers=BATCH)
            if answer.status_code >= 300:
                raise RuntimeError(f"writer answered {answer.status_code}: {answer.text[:300]}")
        after = proc_cpu(writer.process.pid)
    if before is None or after is None:
        raise RuntimeError("the writer's CPU time could not be read from /proc")
    return (after - before) / ((len(bodies) - 1) * size) * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench writer-logging")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--shapes", default="5:2000,1000:300", help="EVENTS_PER_BATCH:BATCHES, comma-separated"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the stack's)")
    parser.add_argument("--level", default="INFO", help="the logging arm's level (the stack's)")
    parser.add_argument("--output-dir", type=Path, default=Path("bench/results"))
    args = parser.parse_args(argv)
    shapes = [tuple(int(x) for x in shape.split(":")) for shape in args.shapes.split(",")]
    sizes = [size for size, _ in shapes]
    settings = get_settings()
    run_id = uuid.uuid4().hex[:6]
    prefix = f"BENCH-{run_id}L"
    started = datetime.now(UTC)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="satmon-bench-") as tmp:
        log_file = Path(tmp) / "telemetry-writer.log"
        writers = {
            "logging": start_writer(settings.repo_root, args.workers, args.level, log_file),
            "off": start_writer(settings.repo_root, args.workers, "off"),
        }
        try:
            start_ms = int(time.time() * 1000) - 86_400_000  # a day back: no forecasts
            for n in range(args.rounds):
                order = ARMS if n % 2 == 0 else ARMS[::-1]
                for size, batches in shapes:
                    for arm in order:
                        index = len(runs)
                        per_sat = -(-(batches * size) // 100)
                        fleet = Fleet(f"{prefix}{index}", 100, per_sat, start_ms)
                        bodies = batch_bodies(fleet, size, batches)
                        us = cpu_per_event_us(writers[arm], bodies, size)
                        runs.append({"round": n, "size": size, "arm": arm, "cpu_us_per_event": us})
                        print(f"round {n} size {size:>5} {arm:>7}: {us:7.2f} µs/event", flush=True)
            records = sum(1 for _ in log_file.open()) if log_file.exists() else 0
        finally:
            for writer in writers.values():
                writer.stop()
            try:
                delete_series(settings.vm_url, prefix)
            except httpx.HTTPError as exc:
                print(f"bench series not deleted: {exc}", file=sys.stderr)
    result = summarize(runs, sizes)
    result.update(
        run_id=run_id,
        started=started.isoformat(),
        params=vars(args) | {"output_dir": str(args.output_dir)},
        records_written=records,
        runs=runs,
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    path = args.output_dir / f"writer-logging-{run_id}.json"
    path.write_text(json.dumps(result, indent=2))
    print(report(result))
    print(f"results: {path}")
    return 0


def summarize(runs: list[dict[str, Any]], sizes: list[int]) -> dict[str, Any]:
    """Per batch size: each arm's median CPU per event and logging's share."""
    out: dict[str, Any] = {"sizes": {}}
    for size in sizes:
        medians = {
            arm: statistics.median(
                r["cpu_us_per_event"] for r in runs if r["size"] == size and r["arm"] == arm
            )
            for arm in ARMS
        }
        share = medians["logging"] / medians["off"] - 1
        out["sizes"][str(size)] = {**medians, "share": share, "met": share <= GOAL_SHARE}
    return out


def report(result: dict[str, Any]) -> str:
    lines = [
        f"{'events/batch':>12} {'logging µs/ev':>14} {'off µs/ev':>10} {'share':>8}  goal ≤ 5 %"
    ]
    for size, row in result["sizes"].items():
        verdict = "met" if row["met"] else "NOT met"
        lines.append(
            f"{size:>12} {row['logging']:>14.2f} {row['off']:>10.2f} "
            f"{row['share'] * 100:>7.1f}%  {verdict}"
        )
    lines.append(f"records the logging writer wrote: {result['records_written']}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
