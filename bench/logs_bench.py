"""Log store benchmark: how long a record takes from being written to being searchable.

    python -m bench logs [--rate 1000] [--seconds 30] [--load 1000]

On the running stack (``satmon up``), while ``satmon simulate`` sends ``--load``
telemetry events/s through the pipeline (0: none), two arms one after the other:
- **shipped**: a component's way: ``logging`` with satmon's JSON formatter into a file
  under ``.satmon/logs/``, the stack's log shipper tails it into VictoriaLogs;
- **direct** (the baseline): this process POSTs the same records to VictoriaLogs'
  ``/insert/jsonline`` itself, every 10 ms: what the store alone needs.
Each writes ``--rate`` records/s for ``--seconds``; a thread asks VictoriaLogs every
50 ms how many of the arm's records it finds (``stats count()``). The shipper and the
store keep file order, so when the count reaches n every record below n is searchable:
its latency is the time that query returned minus the time the record was written (an
upper bound, at most one poll late). Goal (issue 18): p99 ≤ 2 s at 1,000 events/s.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import orjson

from satmon.clients.victorialogs import VictoriaLogs
from satmon.logconfig import JsonFormatter
from satmon.settings import Settings, get_settings

TICK_S = 0.01
POLL_S = 0.05
GOAL_P99_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=1000, help="log records per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="per arm")
    parser.add_argument("--load", type=int, default=1000, help="telemetry events/s meanwhile")
    args = parser.parse_args()
    settings = get_settings()
    store = VictoriaLogs(settings.logs_url)
    run_id = uuid.uuid4().hex[:6]
    load = _start_load(args.load, args.seconds * 2 + 60)
    try:
        time.sleep(3 if load else 0)
        results = {
            "shipped": measure(store, _file_writer(settings, f"bench-logs-{run_id}"), args),
            "direct": measure(store, _direct_writer(store, f"bench-direct-{run_id}"), args),
        }
    finally:
        if load is not None:
            load.terminate()
            load.wait(30)
        store.close()
    print_table(results, args, run_id)
    out = settings.repo_root / "bench" / "results" / f"logs-{run_id}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))


class Writer:
    """Writes records ``seq`` 0, 1, … for the component ``name``; ``close`` cleans up."""

    def __init__(self, name: str, write: Callable[[list[int]], None], close: Callable[[], None]):
        self.name, self.write, self.close = name, write, close


def measure(store: VictoriaLogs, writer: Writer, args: argparse.Namespace) -> dict[str, float]:
    total = int(args.rate * args.seconds)
    written = np.zeros(total)
    seen = np.full(total, np.nan)
    done = threading.Event()
    prober = threading.Thread(target=_probe, args=(store, writer.name, seen, done), daemon=True)
    prober.start()
    began = time.monotonic()
    sent = 0
    try:
        while sent < total:  # paced to the clock: the records due by now, every tick
            due = min(total, int((time.monotonic() - began) * args.rate))
            if due > sent:
                written[sent:due] = time.monotonic()
                writer.write(list(range(sent, due)))
                sent = due
            time.sleep(TICK_S)
        limit = time.monotonic() + 60
        while np.isnan(seen).any() and time.monotonic() < limit:
            time.sleep(0.2)
    finally:
        done.set()
        prober.join(5)
        writer.close()
    delays = seen - written
    stored = delays[~np.isnan(delays)]
    if stored.size == 0:
        stored = np.array([np.nan])
    return {
        "records": total,
        "lost": int(np.isnan(seen).sum()),
        "rate": total / (written[-1] - written[0]) if total > 1 else 0.0,
        **{f"p{q}": float(np.percentile(stored, q)) for q in (50, 90, 99)},
        "max": float(stored.max()),
    }


def _probe(store: VictoriaLogs, name: str, seen: np.ndarray, done: threading.Event) -> None:
    query = f'_time:1h component:="{name}" | stats count() as n'
    found = 0
    while not done.is_set() and found < seen.size:
        rows = store.query(query)
        now = time.monotonic()
        count = min(seen.size, int(rows[0]["n"]) if rows else 0)
        if count > found:
            seen[found:count] = now
            found = count
        time.sleep(POLL_S)


def _file_writer(settings: Settings, name: str) -> Writer:
    path = settings.logs_dir / f"{name}.log"
    logger = logging.getLogger(f"bench.logs.{name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.FileHandler(path)
    handler.setFormatter(JsonFormatter(name))
    logger.addHandler(handler)

    def write(seqs: list[int]) -> None:
        for seq in seqs:
            logger.info("bench record %d", seq, extra={"seq": seq})

    def close() -> None:
        logger.removeHandler(handler)
        handler.close()
        path.unlink(missing_ok=True)

    return Writer(name, write, close)


def _direct_writer(store: VictoriaLogs, name: str) -> Writer:
    def write(seqs: list[int]) -> None:
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        records = (
            {"time": stamp, "level": "info", "component": name, "message": f"bench record {s}"}
            | {"logger": "bench.logs", "seq": s}
            for s in seqs
        )
        store.insert(b"".join(orjson.dumps(r) + b"\n" for r in records))

    return Writer(name, write, lambda: None)


def _start_load(events_per_s: int, seconds: float) -> subprocess.Popen[bytes] | None:
    """``satmon simulate``: 10 satellites at events_per_s / 10 Hz (ids LOGBENCH-…)."""
    if events_per_s <= 0:
        return None
    argv = [sys.executable, "-m", "satmon", "simulate", "--satellites", "10"]
    argv += ["--rate", str(events_per_s / 10), "--duration", f"{int(seconds)}s"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def print_table(
    results: dict[str, dict[str, float]], args: argparse.Namespace, run_id: str
) -> None:
    print(
        f"\nlogs bench {run_id}: {args.rate} records/s for {args.seconds:g} s per arm, "
        f"{args.load} telemetry events/s meanwhile"
    )
    print(
        f"{'arm':<10}{'records':>9}{'lost':>6}{'rate/s':>9}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}"
    )
    for arm, r in results.items():
        print(
            f"{arm:<10}{r['records']:>9.0f}{r['lost']:>6.0f}{r['rate']:>9.0f}"
            + "".join(f"{r[k]:>8.3f}s" for k in ("p50", "p90", "p99", "max"))
        )
    shipped, direct = results["shipped"], results["direct"]
    print(
        f"shipped / direct: p50 {shipped['p50'] / direct['p50']:.2f}×, "
        f"p99 {shipped['p99'] / direct['p99']:.2f}×; goal p99 ≤ {GOAL_P99_S:g} s: "
        + ("met" if shipped["p99"] <= GOAL_P99_S and shipped["lost"] == 0 else "not met")
    )
