"""Issue 14's reproduction on the running stack: kill -9 of the telemetry-writer's main
process while 60,000 events flow. Its forked workers must go with it (no orphan keeps
port 8082), the supervisor starts it again on its own, and every sample is stored
once."""

from __future__ import annotations

import os
import signal
import time

import pytest

from satmon.clients.vm import VictoriaMetrics
from satmon.settings import Settings
from satmon.stack.groups import Members, pid_alive
from satmon.stack.launcher import Launcher
from satmon.stack.process import ProcessTable
from satmon.stack.state import read_state
from tests.integration.stack.stream import TelemetryStream, stored
from tests.integration.stack.support import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _restarts(settings: Settings, name: str) -> int:
    state = read_state(settings.run_dir)
    assert state is not None and name in state.units, "the stack runs without a supervisor"
    return state.units[name].restarts


def test_kill_9_of_the_telemetry_writer_during_60000_events(
    settings: Settings, vm: VictoriaMetrics
) -> None:
    launcher = Launcher(settings)
    assert launcher.supervised(), "start the stack with `satmon up --detach`"
    table = ProcessTable(settings.run_dir)
    old = table.get("telemetry-writer")
    assert old is not None
    workers = Members(old.pid, table.marker("telemetry-writer")).alive()
    assert len(workers) >= 2, "the writer runs a master and its forked workers"
    restarts = _restarts(settings, "telemetry-writer")

    stream = TelemetryStream.fresh(settings, "crash", satellites=50, rate=4000, seconds=15)
    assert stream.plan.events == 60_000
    stream.start()
    wait_for(lambda: stream.sent >= 12_000, 30, "a fifth of the events on their way")
    os.kill(old.pid, signal.SIGKILL)
    killed = time.monotonic()

    def back() -> bool:
        rows = {r.name: r for r in launcher.status(["telemetry-writer"])}
        row = rows["telemetry-writer"]
        return row.restarts == restarts + 1 and row.healthy and row.pid != old.pid

    wait_for(back, 60, "the telemetry-writer restarted and healthy")
    recovered_s = time.monotonic() - killed
    assert not any(pid_alive(p) for p in workers), "a worker of the killed writer lives on"
    row = launcher.status(["telemetry-writer"])[0]
    assert row.last_exit == "SIGKILL"

    result = stream.join(120)
    assert result.produced == 60_000 and not result.refused
    wait_for(lambda: stored(vm, stream.plan).events >= 60_000, 120, "every event stored")
    count = stored(vm, stream.plan)
    assert count.events == 60_000
    assert count.samples == 7 * 60_000 and count.duplicated == 0 and count.unexpected == 0
    assert recovered_s < 30
