"""The launcher on real servers, in a scratch run folder on ports of its own:
`up` then `down` leaves no process and no listening port; a component that fails to
start is reported by name with the tail of its log, and nothing is left running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from satmon.settings import Settings
from satmon.stack.postgres import postgres_data_dir
from satmon.stack.process import ProcessTable, pid_alive, port_open
from tests.integration.stack.support import SCRATCH_PORTS, satmon, supervisor_pid, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_up_then_down_leaves_nothing_behind(scratch_env: dict[str, str]) -> None:
    ports = SCRATCH_PORTS
    up = satmon(["up", "--detach", "--only", "victoriametrics", "--only", "postgres"], scratch_env)
    assert up.returncode == 0, up.stdout + up.stderr
    table = ProcessTable(Path(scratch_env["SATMON_RUN_DIR"]))
    pids = {name: table.get(name).pid for name in ("victoriametrics", "postgres")}  # type: ignore[union-attr]
    supervisor = supervisor_pid(scratch_env)
    assert all(pid_alive(pid) for pid in [*pids.values(), supervisor])
    assert all(port_open(p) for p in ports)

    status = satmon(["status"], scratch_env)
    assert status.returncode == 0
    assert "victoriametrics" in status.stdout and "18428" in status.stdout

    again = satmon(["up", "--detach", "--only", "victoriametrics"], scratch_env)
    assert again.returncode == 0
    assert "already up" in again.stderr

    down = satmon(["down"], scratch_env)
    assert down.returncode == 0, down.stderr
    assert not any(pid_alive(pid) for pid in [*pids.values(), supervisor])
    assert not any(port_open(p) for p in ports)
    assert _postgres_processes(scratch_env["SATMON_RUN_DIR"]) == []


def test_failed_component_is_named_with_its_log(scratch_env: dict[str, str]) -> None:
    env = {**scratch_env, "SATMON_VM_RETENTION": "not-a-duration"}
    up = satmon(["up", "--detach", "--only", "victoriametrics"], env)
    assert up.returncode == 1
    assert "victoriametrics failed to start" in up.stderr
    assert "retentionPeriod" in up.stderr  # the tail of VictoriaMetrics' own log
    assert not port_open(18428)
    assert ProcessTable(Path(scratch_env["SATMON_RUN_DIR"])).names() == []
    # the background supervisor has nothing to supervise: it goes too
    wait_for(lambda: not pid_alive(supervisor_pid(env)), 30, "the idle supervisor to exit")


def _postgres_processes(run_dir: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    data_dir = str(postgres_data_dir(Settings(run_dir=Path(run_dir))))
    return [line for line in out.splitlines() if data_dir in line and "postgres" in line]


def test_ctrl_c_in_the_foreground_stops_everything(scratch_env: dict[str, str]) -> None:
    """`satmon up` without --detach supervises; SIGINT (Ctrl-C) stops all it started."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "satmon", "up", "--only", "victoriametrics"],
        env={**os.environ, **scratch_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stdout = proc.stdout
    assert stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")))
    reader.start()
    try:
        # SIGINT only once the launcher says it supervises: its start is over (on a busy
        # machine a fixed pause after the port opened was sometimes still inside it)
        wait_for(lambda: _announced(lines) or proc.poll() is not None, 120, "the up banner")
        assert _announced(lines), "".join(lines)
        running = ProcessTable(Path(scratch_env["SATMON_RUN_DIR"])).get("victoriametrics")
        assert running is not None and running.alive and port_open(18428)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=10)
    out = "".join(lines)
    assert "stopped victoriametrics" in out
    assert not pid_alive(running.pid)
    assert not port_open(18428)


def _announced(lines: list[str]) -> bool:
    return any("Ctrl-C stops everything" in line for line in lines)
