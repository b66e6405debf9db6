"""The drills' alarm check: the limit alarms a drill's telemetry raised, and every step
the evaluator gave them, equal those of the ``none`` drill (the same telemetry, no kill).

Every drill streams the same samples (a function of satellite index and step) at
times relative to its own start, so an alarm is compared as (satellite index, kind,
metric, raised / cleared and each step's time relative to the stream's start, values).
Anomaly alarms are counted, not compared: they follow VAE forecasts, and a drill may
fail a forecast job (the jobs check allows it). Stale alarms depend on the wall clock
(``alarm_set`` leaves them out).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg

from satmon.settings import Settings
from satmon.stack import probes
from satmon.stack.kafka_admin import IsolatedAdmin
from satmon.store.alarm_reads import alarm_set
from tests.chaos.accounting import telemetry_lag
from tests.integration.stack.stream import StreamPlan

if TYPE_CHECKING:
    from tests.chaos.drills import DrillRow

EVALUATOR = "alarm-evaluator"
EVALUATED_S = 180.0  # after the catch-up, for the evaluator's own consumer to end too
END_SLACK = 3  # offsets no group commits past: seen 3 (one per partition) for the writer too
Normalised = frozenset[tuple[Any, ...]]
_BASELINE: dict[str, Normalised] = {}


def check_alarms(settings: Settings, plan: StreamPlan, row: DrillRow) -> None:
    """Fill ``alarms`` / ``anomaly alarms`` / ``alarms = none``; a difference from the
    ``none`` drill fails the drill (the stream reaches Kafka in the same per-satellite
    order in every run, so the same telemetry must give the same alarms)."""
    if not _evaluated(settings):
        row.problems.append(f"the {EVALUATOR} had not judged the stream {EVALUATED_S:.0f}s on")
    satellites = [f"{plan.prefix}-{i:03d}" for i in range(plan.satellites)]
    with psycopg.connect(settings.pg_dsn, connect_timeout=5) as conn:
        limits = _normalised(alarm_set(conn, satellites, ("limit",)), plan)
        anomalies = alarm_set(conn, satellites, ("anomaly",))
    row.extra["alarms"] = len(limits)
    row.extra["anomaly alarms"] = len(anomalies)
    if row.drill == "none":
        _BASELINE["none"] = limits
        return
    base = _BASELINE.get("none")
    if base is None:
        row.extra["alarms = none"] = "-"
        row.notes.append("no `none` drill in this run: alarms not compared")
        return
    same = limits == base
    row.extra["alarms = none"] = "yes" if same else "no"
    if not same:
        extra, missing = sorted(limits - base), sorted(base - limits)
        row.problems.append(
            f"limit alarms differ from the run without a kill: {len(extra)} not in it"
            f" (first {extra[:1]}), {len(missing)} of it missing (first {missing[:1]})"
        )


def _evaluated(settings: Settings) -> bool:
    """The evaluator's telemetry consumer group has committed the whole topic."""
    groups = probes.subscription_groups(settings, only=[EVALUATOR])
    admin = IsolatedAdmin(settings.kafka_bootstrap)
    deadline = time.monotonic() + EVALUATED_S
    try:
        while time.monotonic() < deadline:
            lags = [telemetry_lag(settings, admin, group) for group in groups]
            if all(lag is not None and lag <= END_SLACK for lag in lags):
                return True
            time.sleep(1.0)
        return False
    finally:
        admin.close()


def _normalised(alarms: frozenset[tuple[Any, ...]], plan: StreamPlan) -> Normalised:
    """Each alarm with its satellite as an index and its times in ms from the stream's start."""
    return frozenset(
        (
            int(sat.rsplit("-", 1)[1]),
            kind,
            metric,
            _offset(raised, plan),
            _offset(cleared, plan),
            value,
            tuple((action, severity, _offset(at, plan), v) for action, severity, at, v in steps),
        )
        for sat, kind, metric, raised, cleared, value, steps in alarms
    )


def _offset(at: datetime | str | None, plan: StreamPlan) -> int | None:
    if at is None:
        return None
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    return round(moment.timestamp() * 1000) - plan.start_ms
