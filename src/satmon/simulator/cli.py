"""``satmon simulate``: put simulated telemetry on Kafka (live, backfill, or both)."""

from __future__ import annotations

import json
import logging
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer
from confluent_kafka import KafkaException
from tqdm import tqdm

from satmon.contract.events import TOPIC_TELEMETRY, Telemetry
from satmon.settings import get_settings
from satmon.simulator.anomalies import Anomaly, AnomalySpec
from satmon.simulator.durations import parse_duration
from satmon.simulator.generator import generate
from satmon.simulator.producer import make_sender, send_paced

log = logging.getLogger(__name__)


def simulate(
    satellites: Annotated[
        int,
        typer.Option(
            "--satellites", "-n", min=1, max=999, help="Number of satellites (SAT-001 …)."
        ),
    ] = 3,
    rate: Annotated[
        float,
        typer.Option("--rate", "-r", min=0.001, help="Samples per second per satellite (Hz)."),
    ] = 1.0,
    duration: Annotated[
        str | None, typer.Option(help="Live run time, paced to the wall clock, e.g. 60s, 5m, 2h.")
    ] = None,
    count: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many events in all.")
    ] = None,
    backfill: Annotated[
        str | None,
        typer.Option(
            help="First send the past span (e.g. 6h) as fast as possible; then stop unless "
            "--duration or --count asks for more."
        ),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="Timestamp of the first tick (ISO 8601, default now or now − backfill)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of noise and anomalies.")] = 0,
    anomalies: Annotated[
        str | None,
        typer.Option(
            help="Inject anomalies: a rate per satellite-hour ('2'), kinds ('spike,drift,stuck') "
            "or both ('spike,stuck@0.5')."
        ),
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Anomaly ground truth, JSON lines (default <run_dir>/anomaly-labels.jsonl)."
        ),
    ] = None,
    bootstrap: Annotated[
        str | None, typer.Option(help="Kafka bootstrap servers (default from settings).")
    ] = None,
    topic: Annotated[str, typer.Option(help="Kafka topic.")] = TOPIC_TELEMETRY,
) -> None:
    """Simulate N satellites at R Hz and send their telemetry to Kafka as CloudEvents."""
    try:
        backfill_s = parse_duration(backfill) if backfill else 0.0
        live_s = parse_duration(duration) if duration else None
        spec = AnomalySpec.parse(anomalies)
        first = _first_tick(start, backfill_s)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    if live_s is not None:
        total_s: float | None = backfill_s + live_s
    else:  # backfill only: stop when caught up, unless --count asks for more
        total_s = backfill_s if backfill and count is None else None
    expected = _expected_events(satellites, rate, total_s, count)

    sender = make_sender(bootstrap, topic)
    try:
        sender.check_broker(timeout_s=10.0)
    except KafkaException as exc:
        typer.echo(f"Kafka is not reachable at {sender.bootstrap}: {exc}", err=True)
        raise typer.Exit(1) from exc

    labels_path = labels or get_settings().run_dir / "anomaly-labels.jsonl"
    with _label_writer(labels_path if spec else None) as on_label, _stop_on_signals() as stop:
        samples = generate(satellites, rate, first, total_s, count, seed, spec, on_label)
        with tqdm(total=expected, unit="ev", desc="backfill", disable=None) as bar:
            live_from, live = time.time(), [False]

            def progress(sample: Telemetry) -> None:
                if not live[0] and sample.timestamp.timestamp() >= live_from:
                    live[0] = True
                    bar.set_description("live")
                bar.update(1)

            try:
                send_paced(samples, sender, stop, progress)
            except KeyboardInterrupt:
                log.warning("interrupted; flushing what was queued")
            finally:
                sender.close()
    typer.echo(
        f"{sender.delivered} events delivered to {topic} "
        f"({sender.failed} failed)" + (f"; labels in {labels_path}" if spec else ""),
        err=True,
    )
    if not sender.ok:
        for error in sender.errors:
            typer.echo(f"delivery error: {error}", err=True)
        raise typer.Exit(1)


def _first_tick(start: str | None, backfill_s: float) -> datetime:
    if start:
        moment = datetime.fromisoformat(start.replace("Z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return datetime.fromtimestamp(math.floor(time.time() - backfill_s), UTC)


def _expected_events(
    satellites: int, rate: float, total_s: float | None, count: int | None
) -> int | None:
    by_time = None if total_s is None else math.ceil(total_s * rate - 1e-9) * satellites
    if count is None:
        return by_time
    return count if by_time is None else min(count, by_time)


@contextmanager
def _label_writer(path: Path | None) -> Iterator[Callable[[Anomaly], None] | None]:
    """Yields an ``on_label`` callback appending JSON lines to ``path`` (None: no labels)."""
    if path is None:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle: TextIO = path.open("a", encoding="utf-8")

    def write(anomaly: Anomaly) -> None:
        handle.write(json.dumps(anomaly.label()) + "\n")
        handle.flush()

    try:
        yield write
    finally:
        handle.close()


@contextmanager
def _stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM, so a Job being stopped still flushes what it queued."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGTERM, previous)
