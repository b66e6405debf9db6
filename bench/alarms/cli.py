"""``python -m bench alarms``: the alarm benchmark (see :mod:`bench.alarms`), one table."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg
import typer

from bench.alarms.data import simulated_fleet
from bench.alarms.runs import latency, throughput
from bench.pipeline.procs import cleanup, start_writer
from satmon.clients.vm import VictoriaMetrics
from satmon.settings import Settings, get_settings

GOAL_VISIBLE_P99_MS = 1000.0
GOAL_CORES = 0.1
GOAL_VS_WRITER = 1.0


def bench(
    events: Annotated[int, typer.Option(help="events of each throughput run")] = 100_000,
    satellites: Annotated[int, typer.Option(help="satellites of the throughput runs")] = 100,
    repeats: Annotated[
        int, typer.Option(help="throughput runs of each path, alternating (0: none)")
    ] = 3,
    latency_rate: Annotated[int, typer.Option(help="events/s of the latency run")] = 1000,
    latency_seconds: Annotated[float, typer.Option(help="measured seconds")] = 60.0,
    latency_warmup: Annotated[float, typer.Option(help="seconds before the measured ones")] = 5.0,
    probes_per_second: Annotated[float, typer.Option(help="violating probes a second")] = 2.0,
    evaluator_workers: Annotated[int, typer.Option(help="as func.yaml: 1")] = 1,
    writer_workers: Annotated[int, typer.Option(help="as func.yaml: 2")] = 2,
    output_dir: Annotated[Path, typer.Option(help="where the JSON goes")] = Path("bench/results"),
    keep: Annotated[bool, typer.Option(help="keep the run's topics, series and alarms")] = False,
) -> None:
    """Alarm raised → visible in GET /alarms at a steady rate, and the alarm path's
    throughput beside the telemetry-writer path's on the same telemetry."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    settings = get_settings()
    root = settings.repo_root
    run_id = uuid.uuid4().hex[:6]
    manifests = root / "eventing"
    vm = VictoriaMetrics(settings.vm_url, timeout=60.0)
    _check_api(settings)
    result: dict[str, Any] = {"run_id": run_id, "started": datetime.now(UTC).isoformat(),
                              "host": {"cpus": os.cpu_count()}}  # fmt: skip
    writer = start_writer(root, writer_workers)
    evaluator = start_evaluator(root, evaluator_workers)
    topics: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="satmon-alarm-bench-") as tmp:
            folder = Path(tmp)
            if latency_seconds > 0:
                topics.append(f"bench-alarms-{run_id}-latency")
                result["latency"] = latency(
                    settings, topics[-1], f"BENCH-{run_id}L", evaluator, manifests, folder,
                    latency_rate, latency_seconds, latency_warmup, probes_per_second,
                )  # fmt: skip
            samples = (
                simulated_fleet(satellites, max(events // satellites, 1), 2.0) if repeats else []
            )
            runs = []
            for n in range(repeats):
                for arm, sink in (
                    ("writer", (writer.url, writer.process.pid)),
                    ("evaluator", evaluator),
                ):
                    topics.append(f"bench-alarms-{run_id}-{arm}-{n}")
                    prefix = f"BENCH-{run_id}{arm[0].upper()}{n}"
                    runs.append(
                        throughput(
                            settings, arm, samples, prefix, topics[-1], sink, manifests, folder
                        )
                    )
            if runs:
                result["throughput"] = {"runs": runs, **_medians(runs)}
    finally:
        writer.stop()
        _stop(evaluator)
        if not keep:
            cleanup(settings, vm, topics, run_id)
            _forget(settings, run_id)
        vm.close()
    out = output_dir if output_dir.is_absolute() else root / output_dir
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"alarms-{run_id}.json"
    path.write_text(json.dumps(result, indent=2))
    report(result, path)


def start_evaluator(root: Path, workers: int) -> tuple[str, int]:
    """The alarm-evaluator as the launcher starts it, on a free port: (url, pid)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "satmon.fnhost", "--source",
         str(root / "functions/alarm-evaluator/main.py"), "--target", "evaluate_alarms",
         "--port", str(port)],
        env={**os.environ, "WORKERS": str(workers), "SATMON_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the alarm-evaluator exited at start")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return url, process.pid
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the alarm-evaluator did not answer within 90 s")


def report(result: dict[str, Any], path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"satmon alarm benchmark (run {result['run_id']})")
    for column, justify in (("measure", "left"), ("value", "right"), ("goal", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    lat = result.get("latency")
    if lat:
        v, cores = lat["visible_ms"], lat["cores"]
        table.add_row(
            f"alarm raised → visible in GET /alarms p50 / p99 / max @ {lat['rate']} ev/s "
            f"({lat['probes']} alarms, {lat['never_seen']} never seen)",
            f"{v['p50']:.0f} / {v['p99']:.0f} / {v['max']:.0f} ms",
            _mark(v["p99"] <= GOAL_VISIBLE_P99_MS and not lat["never_seen"], "p99 ≤ 1 s"),
        )
        used = cores["evaluator"] + cores["dispatcher"]
        table.add_row(
            "  cores: evaluator + its dispatcher",
            f"{cores['evaluator']:.3f} + {cores['dispatcher']:.3f} = {used:.3f}",
            _mark(used <= GOAL_CORES, f"≤ {GOAL_CORES} core"),
        )
    tp = result.get("throughput")
    if tp:
        for arm, name in (("writer", "telemetry-writer path"), ("evaluator", "alarm path")):
            each = ", ".join(f"{r['events_per_s']:,.0f}" for r in tp["runs"] if r["arm"] == arm)
            table.add_row(f"{name} (median of {each})", f"{tp[arm]:,.0f} ev/s", "")
        table.add_row(
            "alarm path / telemetry-writer path",
            f"{tp['ratio']:.2f}×",
            _mark(tp["ratio"] >= GOAL_VS_WRITER, "≥ 1×"),
        )
        for arm in ("writer", "evaluator"):
            cpu = statistics.median(
                sum(r["cpu_us_per_event"].values()) for r in tp["runs"] if r["arm"] == arm
            )
            table.add_row(f"  CPU per event, {arm} + its dispatcher", f"{cpu:.1f} µs", "")
    Console().print(table)
    Console().print(f"JSON: {path}")


def _medians(runs: list[dict[str, Any]]) -> dict[str, float]:
    med = {arm: statistics.median(r["events_per_s"] for r in runs if r["arm"] == arm)
           for arm in ("writer", "evaluator")}  # fmt: skip
    return {**med, "ratio": med["evaluator"] / med["writer"]}


def _mark(ok: bool, goal: str) -> str:
    return f"{goal} {'✓' if ok else '✗'}"


def _check_api(settings: Settings) -> None:
    url = f"http://{settings.api_host}:{settings.api_port}/readyz"
    try:
        httpx.get(url, timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise typer.BadParameter(f"the API is not ready at {url} (satmon up): {exc}") from exc


def _stop(evaluator: tuple[str, int]) -> None:
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(evaluator[1], signal.SIGTERM)


def _forget(settings: Settings, run_id: str) -> None:
    """The run's alarms (and their history), evaluator state and watermarks."""
    with psycopg.connect(settings.pg_dsn, autocommit=True) as conn:
        for table in ("alarms", "alarm_series_state", "alarm_satellites"):
            conn.execute(f"DELETE FROM {table} WHERE satellite_id LIKE %s", (f"BENCH-{run_id}%",))


def main() -> None:
    typer.run(bench)
