"""kill -9 of the alarm-evaluator (and of its dispatcher) in the middle of a stream, with
duplicates injected: after the restarts the alarm set equals the one the stack's own
evaluator made of the same telemetry without any kill — nothing lost, nothing invented,
no transition twice."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import psycopg
import pytest

from satmon.clients.kafka import ensure_topics, make_admin
from satmon.store import limits
from satmon.store.alarm_reads import alarm_set
from tests.integration.alarms.fleet import (
    envelope_limits,
    judged,
    progress,
    renamed,
    send,
    simulated,
)
from tests.integration.alarms.processes import (
    free_port,
    kill9,
    start_dispatcher,
    start_evaluator,
    stop,
    write_manifests,
)
from tests.integration.alarms.support import forget, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_kill_9_mid_stream_leaves_the_alarm_set_of_a_run_without_the_kill(
    pg: psycopg.Connection, kafka_bootstrap: str, tmp_path: Path
) -> None:
    reference = simulated(6, 2.0, seed=21, anomalies_per_hour=8.0)
    killed = renamed(reference)
    everyone = reference.satellites + killed.satellites
    topic = f"test-alarms-{uuid.uuid4().hex[:10]}"
    admin = make_admin()
    processes = []
    try:
        for sat in everyone:  # limits that see the anomalies (the defaults see few)
            for metric in ("temperature", "altitude", "velocity", "battery", "solar_power"):
                limits.store_version(pg, metric, sat, envelope_limits(metric), "test", None)
        pg.commit()
        send(reference.samples)  # the stack's own evaluator, undisturbed
        ensure_topics(admin, [topic, topic + ".dlq"], partitions=3)
        send(killed.samples, topic)
        port = free_port()
        folder = write_manifests(tmp_path / "manifests", port, topic, batch=20)
        evaluator = start_evaluator(port)
        dispatcher = start_dispatcher(folder, duplicate_rate=0.2)
        processes += [evaluator, dispatcher]

        wait_for(lambda: progress(pg, killed) >= 0.25, 120, "a quarter of the stream judged")
        kill9(evaluator)
        assert progress(pg, killed) < 0.95, "the stream was over before the kill"
        time.sleep(0.5)
        evaluator = start_evaluator(port)
        processes.append(evaluator)
        wait_for(lambda: progress(pg, killed) >= 0.6, 120, "three fifths of the stream judged")
        kill9(dispatcher)
        assert progress(pg, killed) < 0.95, "the stream was over before the second kill"
        dispatcher = start_dispatcher(folder, duplicate_rate=0.2)
        processes.append(dispatcher)
        wait_for(lambda: judged(pg, killed) and judged(pg, reference), 240, "both runs judged", 0.5)

        pg.rollback()
        ours = alarm_set(pg, killed.satellites)
        theirs = {
            (killed.prefix + sat.removeprefix(reference.prefix), *rest)
            for sat, *rest in alarm_set(pg, reference.satellites)
        }
        assert len(ours) >= 5, "too few alarms in the stream to prove anything"
        assert ours == theirs
        steps = sum(len(a[-1]) for a in ours)
        print(f"\nkill -9 run: {len(ours)} alarms, {steps} steps, equal to the run without kill")
    finally:
        for process in processes:
            stop(process)
        forget(pg, everyone)
        admin.delete_topics([topic, topic + ".dlq"])
