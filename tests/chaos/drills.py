"""The fault drills: kill -9 one component mid-stream, let the supervisor bring it back,
and count what arrived (no tests here; ``test_drills.py`` runs them).

One drill per component of the stack (``DRILLS``, derived from the launcher's table,
so a component that joins the stack — the API, the alarm-evaluator — gets its drill
by being there), plus ``none``: the same stream without a kill, the yardstick. Each
drill streams 60 s of telemetry at 1,000 events/s (20 satellites at 50 Hz, one step in
ten through ingress; a forecast job through the operation API every 2 s), timed so
that the minute's forecast tick falls 12–45 s in, and kills the component's main
process 2 s after the tick, while the tick's jobs run.
What is measured after the catch-up is what ``DrillRow`` holds; ``CHECKS`` add checks
of their own (the alarms, against the ``none`` drill's: ``alarms.py``).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.pipeline.procs import delete_series
from satmon.clients.vm import VictoriaMetrics
from satmon.settings import Settings
from satmon.stack.components import COMPONENTS
from satmon.stack.kafka_admin import IsolatedAdmin
from satmon.stack.launcher import Launcher
from satmon.stack.process import ProcessTable
from tests.chaos.accounting import Jobs, forecast_jobs, requested_jobs, telemetry_lag
from tests.chaos.alarms import EVALUATOR, check_alarms
from tests.chaos.submitter import ApiSubmitter
from tests.integration.stack.stream import StreamPlan, TelemetryStream, stored

RATE = 1000
SATELLITES = 20
SECONDS = 60.0
KILL_AFTER_TICK_S = 2.0
CATCH_UP_S = 240.0
CAUGHT_UP_LAG = RATE  # events: what one second of the stream leaves in flight


@dataclass(frozen=True)
class Drill:
    name: str
    target: str | None  # the component killed (None: the yardstick run)


DRILLS = [
    Drill("none", None),
    *(Drill(name, name) for name, c in COMPONENTS.items() if c.default and name != "simulator"),
]


@dataclass
class DrillRow:
    drill: str
    produced: int = 0
    stored: int = 0
    duplicated: int = 0
    jobs: Jobs | None = None
    healthy_s: float | None = None  # kill → the component healthy again
    recovered_s: float | None = None  # kill → healthy and the telemetry lag under 1 s
    jobs_done_s: float | None = None  # tick → every job of the window completed / failed
    api_jobs: int | None = None  # jobs submitted through the API (None: no API)
    api_jobs_lost: int = 0  # submits answered 202 whose request is not on Kafka
    api_refused: int = 0  # submits refused for good
    extra: dict[str, object] = field(default_factory=dict)  # columns of further checks
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # further checks' failures

    @property
    def lost(self) -> int:
        return self.produced - self.stored


Check = Callable[[Settings, StreamPlan, DrillRow], None]
"""A further check: fills ``row.extra`` (``row.notes``, ``row.problems``) once the drill
has caught up."""
CHECKS: list[Check] = [check_alarms] if EVALUATOR in COMPONENTS else []


def run_drill(drill: Drill, settings: Settings, vm: VictoriaMetrics) -> DrillRow:
    launcher = Launcher(settings)
    admin = IsolatedAdmin(settings.kafka_bootstrap)
    row = DrillRow(drill.name)
    try:
        _all_healthy(launcher, 180)
        start = _start_time()
        stream = TelemetryStream(settings, _plan(drill, start))
        tick = (int(start) // 60 + 1) * 60
        submitter = _submitter(settings, stream.plan)
        stream.start()
        if submitter is not None:
            submitter.start()
        _sleep_until(tick + KILL_AFTER_TICK_S)
        killed = time.time()
        if drill.target is not None:
            old = _kill(settings, drill.target)
            row.healthy_s = _wait_healthy(launcher, drill.target, old, killed) - killed
        row.recovered_s = _wait_recovered(launcher, drill.target, settings, admin) - killed
        _sleep_until(start + SECONDS)
        stopped = start + SECONDS
        if submitter is not None:
            submitter.stop()  # waits for a submit still retrying
            stopped = time.time()
        result = stream.join(SECONDS + 360)
        row.produced = result.produced
        if result.refused:
            row.notes.append(f"{len(result.refused)} events refused by Kafka")
        since = datetime.fromtimestamp(start, UTC)
        until = datetime.fromtimestamp(stopped + 1, UTC)
        _catch_up(settings, vm, stream.plan, row, since, until, tick)
        if submitter is not None:
            _count_api_jobs(settings, submitter, row, since, until)
        for check in CHECKS:
            check(settings, stream.plan, row)
        # counted and judged: 20 satellites at 50 Hz left behind would slow every fleet
        # listing after the drills (and keep the forecaster busy with them)
        delete_series(settings.vm_url, stream.plan.prefix)
    finally:
        admin.close()
    return row


def _plan(drill: Drill, start: float) -> StreamPlan:
    return StreamPlan(
        prefix=f"DRILL-{drill.name.upper()}-{os.urandom(3).hex()}",
        satellites=SATELLITES,
        rate=RATE,
        seconds=SECONDS,
        start_ms=int(start * 1000),
        ingress_every=10,
    )


def _submitter(settings: Settings, plan: StreamPlan) -> ApiSubmitter | None:
    """Jobs through the operation API too, where the stack has one."""
    if "api" not in COMPONENTS:
        return None
    return ApiSubmitter(settings, f"{plan.prefix}-000")


def _count_api_jobs(
    settings: Settings, submitter: ApiSubmitter, row: DrillRow, since: datetime, until: datetime
) -> None:
    found = requested_jobs(settings, since, until) & set(submitter.jobs)
    row.extra["API jobs found"] = f"{len(found)} / {len(submitter.jobs)}"
    row.api_jobs = len(submitter.jobs)
    row.api_jobs_lost = len(submitter.jobs) - len(found)
    row.api_refused = len(submitter.errors)
    row.notes += [f"API submit refused: {e}" for e in submitter.errors[:3]]


def _start_time() -> float:
    """Soon, at a moment that puts the next minute's tick 12–45 s into the stream."""
    now = time.time() + 2
    to_tick = 60 - now % 60
    if to_tick < 12:
        now += to_tick + 15  # after this tick: the next one is 45 s away
    elif to_tick > 45:
        now += to_tick - 45
    return now


def _kill(settings: Settings, name: str) -> int:
    """kill -9 of the component's main process (the supervisor's child); its pid."""
    running = ProcessTable(settings.run_dir).get(name)
    assert running is not None, f"{name} is not running"
    os.kill(running.pid, signal.SIGKILL)
    return running.pid


def _wait_healthy(launcher: Launcher, name: str, old_pid: int, killed: float) -> float:
    """When a new process of ``name`` first answered its health probe."""
    deadline = killed + 180
    while time.time() < deadline:
        row = launcher.status([name])[0]
        if row.pid not in (None, old_pid) and row.healthy and row.state == "running":
            return time.time()
        time.sleep(0.25)
    raise AssertionError(f"{name} was not healthy again within 180 s of the kill")


def _wait_recovered(
    launcher: Launcher, target: str | None, settings: Settings, admin: IsolatedAdmin
) -> float:
    """When the component was healthy and the telemetry lag under a second of events,
    four samples in a row (a store's replay moves the lag back up just after its start)."""
    deadline = time.monotonic() + CATCH_UP_S
    good: list[float] = []
    while time.monotonic() < deadline:
        lag = telemetry_lag(settings, admin)
        healthy = target is None or all(r.healthy for r in launcher.status([target]))
        good = [*good, time.time()] if lag is not None and lag <= CAUGHT_UP_LAG and healthy else []
        if len(good) >= 4:
            return good[0]
        time.sleep(0.5)
    raise AssertionError(f"not recovered (healthy, lag under {CAUGHT_UP_LAG}) in {CATCH_UP_S}s")


def _catch_up(
    settings: Settings,
    vm: VictoriaMetrics,
    plan: StreamPlan,
    row: DrillRow,
    since: datetime,
    until: datetime,
    tick: float,
) -> None:
    """Until every produced event is stored and every job of the window has ended (or
    the catch-up time is over); notes when the jobs had all ended."""
    deadline = time.monotonic() + CATCH_UP_S
    samples_done = False
    while True:
        if not samples_done:
            count = stored(vm, plan)
            row.stored, row.duplicated = count.events, count.duplicated
            samples_done = count.events >= row.produced
        if row.jobs_done_s is None:
            row.jobs = forecast_jobs(settings, since, until)
            if row.jobs.requested and row.jobs.settled:
                row.jobs_done_s = time.time() - tick
        if (samples_done and row.jobs_done_s is not None) or time.monotonic() > deadline:
            break
        time.sleep(2.0)
    if count.unexpected:
        row.notes.append(f"{count.unexpected} samples at timestamps never sent")


def _all_healthy(launcher: Launcher, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    wanted = [d.target for d in DRILLS if d.target]
    while True:
        rows = launcher.status(wanted)
        sick = [r.name for r in rows if not (r.healthy and r.state == "running")]
        if not sick:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not healthy before the drill: {sick}; run `satmon up`")
        time.sleep(1.0)


def _sleep_until(when: float) -> None:
    time.sleep(max(0.0, when - time.time()))
