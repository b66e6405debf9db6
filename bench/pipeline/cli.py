"""Pipeline benchmark: Kafka → dispatcher → telemetry-writer → VictoriaMetrics.

One run measures, on fresh topics / consumer groups and distinct satellite ids
(``BENCH-<runid>-NNN``) so that runs never collide:

1. **ingest** — satmon (the dispatcher process and the telemetry-writer) and two
   Telegraf set-ups, alternating, each on its own pre-loaded topic of N events, timed
   until VictoriaMetrics accepted every sample, then counted there (:mod:`.ingest`);
   the median satmon run is the **pipeline** row;
2. **direct** — VictoriaMetrics' own ceiling for the same samples (median of several
   imports, each under other satellite ids): pre-built, batched
   JSON-line bodies POSTed straight to ``/api/v1/import`` from this process;
3. **naive** — the original one-at-a-time consumer (poll one record, decode, one
   import, commit), for a bounded number of records or seconds, rate extrapolated;
4. **latency** — at a steady rate (1,000 events/s), event → stored (the sink's 2xx)
   and event → queryable (visible in ``/api/v1/export``) p50 / p99, where events
   waited (Kafka → the dispatcher's poll → the POST → its 2xx), and the same rate
   through a minimal Kafka → VictoriaMetrics loop, the floor (:mod:`.floor`).

Results go to ``bench/results/pipeline-<runid>.json`` and a table on the console.
Modules: :mod:`.data` (fleet, records), :mod:`.ingest` (satmon beside Telegraf),
:mod:`.telegraf` (its build and configuration), :mod:`.runs` (ceiling, naive consumer),
:mod:`.latency` (latency run), :mod:`.procs` (writer process, clean-up), :mod:`.report`
(the table).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from bench.pipeline import telegraf
from bench.pipeline.data import Fleet
from bench.pipeline.floor import run_floor
from bench.pipeline.ingest import ARMS, SATMON, run_ingest
from bench.pipeline.latency import run_latency
from bench.pipeline.procs import cleanup, delete_series, start_writer
from bench.pipeline.report import report
from bench.pipeline.runs import run_direct, run_naive
from satmon.clients.vm import VictoriaMetrics
from satmon.eventing.cli import DISPATCHER_YOUNG_THRESHOLD
from satmon.eventing.manifests import load_topology
from satmon.eventing.topology import HttpSink
from satmon.gc_tuning import tune_for_throughput
from satmon.pipeline.forecaster import ACTIVE_LOOKBACK_S
from satmon.settings import Settings, get_settings

log = logging.getLogger(__name__)


def bench(
    events: Annotated[int, typer.Option(help="events pre-loaded for each ingest run")] = 100_000,
    satellites: Annotated[int, typer.Option(help="distinct satellites")] = 100,
    repeats: Annotated[int, typer.Option(help="ingest runs of each consumer, alternating")] = 3,
    arms: Annotated[
        list[str] | None,
        typer.Option("--arm", help=f"consumers to compare (default: all of {', '.join(ARMS)})"),
    ] = None,
    naive_max: Annotated[int, typer.Option(help="records for the naive consumer at most")] = 2000,
    naive_seconds: Annotated[float, typer.Option(help="seconds for the naive consumer")] = 15.0,
    direct_threads: Annotated[int, typer.Option(help="concurrent direct importers")] = 4,
    direct_repeats: Annotated[
        int, typer.Option(help="direct imports of the samples; the median counts")
    ] = 5,
    latency_rate: Annotated[int, typer.Option(help="events/s for the latency run")] = 1000,
    latency_seconds: Annotated[
        float, typer.Option(help="length of the latency run (60 s: one forecast tick in it)")
    ] = 60.0,
    latency_warmup: Annotated[
        float, typer.Option(help="seconds produced before the measured latency run")
    ] = 5.0,
    writer_url: Annotated[
        str | None, typer.Option(help="use this telemetry-writer instead of starting one")
    ] = None,
    writer_workers: Annotated[
        int, typer.Option(help="gunicorn workers of the writer (the stack runs 2)")
    ] = 2,
    manifests: Annotated[Path, typer.Option(help="eventing manifests")] = Path("eventing"),
    output_dir: Annotated[Path, typer.Option(help="where the JSON goes")] = Path("bench/results"),
    keep: Annotated[bool, typer.Option(help="keep bench topics and series")] = False,
) -> None:
    """Telemetry ingest: satmon beside Telegraf, VictoriaMetrics' ceiling, a naive
    consumer, and event → stored latency."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # the latency run's dispatcher runs in this process, tuned as `eventing dispatch` is
    tune_for_throughput(DISPATCHER_YOUNG_THRESHOLD)
    settings = get_settings()
    run_id = uuid.uuid4().hex[:6]
    root = settings.repo_root
    folder = manifests if manifests.exists() else root / manifests
    base_sub = load_topology(folder).subscription("telemetry-writer")
    chosen = tuple(arms or ARMS)
    if SATMON not in chosen or not set(chosen) <= set(ARMS):
        raise typer.BadParameter(f"--arm: {SATMON} and any of {ARMS}", param_hint="--arm")
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
            "repeats": repeats,
            "arms": chosen,
            "batch_max_events": base_sub.batch_max_events,
            "batch_max_wait_ms": base_sub.batch_max_wait_ms,
            "max_in_flight": base_sub.max_in_flight,
            "writer_workers": writer_workers,
            "telegraf": telegraf.VERSION,
        },
    }
    writer = None if writer_url else start_writer(root, writer_workers)
    url = writer_url or (writer.url if writer else "")
    topics: list[str] = []
    try:
        # Latency first: the bulk runs below leave VictoriaMetrics merging millions of
        # fresh samples for a while, which would be measured as the pipeline's tail.
        if latency_seconds > 0:
            lat_topic = f"bench-latency-{run_id}"
            topics.append(lat_topic)
            lat_sub = replace(
                base_sub,
                topics=(lat_topic,),
                group=f"bench-lat-{run_id}",
                sink=HttpSink(url, "bench-writer"),
            )
            result["latency"] = run_latency(
                settings,
                lat_sub,
                vm,
                f"BENCH-{run_id}L",
                latency_rate,
                latency_seconds,
                warmup=latency_warmup,
            )
            floor_topic = f"bench-floor-{run_id}"
            topics.append(floor_topic)
            result["floor"] = run_floor(
                f"BENCH-{run_id}F", floor_topic, latency_rate, latency_seconds, latency_warmup
            )
            # their satellites would stay "active" for the forecaster for minutes, and
            # its ticks and threshold imports would land in the ingest runs below
            for prefix in (f"BENCH-{run_id}L", f"BENCH-{run_id}F"):
                delete_series(settings.vm_url, prefix)
        # The ingest fleets end before the forecaster's active window, so that it neither
        # forecasts them nor imports thresholds for them while a consumer is timed (its
        # imports count in VictoriaMetrics' rows beside the consumer's, and its ticks cost
        # whichever run they fall in seconds of CPU).
        per_sat = max(events // satellites, 1)
        start_ms = int((time.time() - ACTIVE_LOOKBACK_S - 60) * 1000) - per_sat * 1000
        fleet = Fleet(f"BENCH-{run_id}", satellites, per_sat, start_ms)
        ingest = run_ingest(
            settings,
            vm,
            fleet,
            url,
            writer.process.pid if writer else None,
            run_id,
            repeats,
            chosen,
            folder,
        )
        topics += [r["topic"] for r in ingest["runs"]]
        result["ingest"] = ingest
        result["pipeline"] = ingest["arms"][SATMON]
        result["direct"] = _direct(settings, fleet, run_id, direct_threads, direct_repeats)
        result["naive"] = run_naive(
            settings, topics[-1], f"bench-naive-{run_id}", naive_max, naive_seconds
        )
        result["ratios"] = _ratios(result)
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


def _direct(
    settings: Settings, fleet: Fleet, run_id: str, threads: int, repeats: int
) -> dict[str, Any]:
    """The same import repeated under other satellite ids, median taken: one import of
    100,000 events lasts 0.15-0.4 s, and single imports vary by 2x back to back here."""
    directs = [
        run_direct(settings, replace(fleet, prefix=f"BENCH-{run_id}D{n}").samples(), threads)
        for n in range(max(1, repeats))
    ]
    ordered = sorted(directs, key=lambda d: d["events_per_s"])
    return {
        **ordered[len(ordered) // 2],
        "repeats": len(directs),
        "events_per_s_each": [round(d["events_per_s"]) for d in directs],
    }


def _ratios(result: dict[str, Any]) -> dict[str, float]:
    pipe, direct, naive = (result[k]["events_per_s"] for k in ("pipeline", "direct", "naive"))
    ratios = {"pipeline_vs_direct": pipe / direct, "pipeline_vs_naive": pipe / naive}
    if "floor" in result:
        satmon, floor = result["latency"]["stored_ms"], result["floor"]["stored_ms"]
        ratios["p50_vs_floor"] = satmon["p50"] / floor["p50"]
        ratios["p99_vs_floor"] = satmon["p99"] / floor["p99"]
    arms = result["ingest"]["arms"]
    for name in telegraf.SETUPS:
        if name in arms:
            ratios[f"pipeline_vs_{name}"] = pipe / arms[name]["events_per_s"]
            ratios[f"cpu_vs_{name}"] = (
                arms[SATMON]["cpu_us_per_event"] / arms[name]["cpu_us_per_event"]
            )
    return ratios


def main(argv: list[str] | None = None) -> None:
    """``python -m bench pipeline [OPTIONS]``."""
    app = typer.Typer(add_completion=False)
    app.command()(bench)
    app(args=argv, prog_name="python -m bench pipeline")
