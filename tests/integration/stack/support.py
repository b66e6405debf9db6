"""Helpers of the launcher's tests (no tests here): the CLI, pid files, the state file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from satmon.stack.process import ProcessTable
from satmon.stack.state import UnitState, read_state

SCRATCH_PORTS = (18428, 15432)


def satmon(
    args: list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "satmon", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_dir(env: dict[str, str]) -> Path:
    return Path(env["SATMON_RUN_DIR"])


def pid_of(env: dict[str, str], name: str) -> int:
    running = ProcessTable(run_dir(env)).get(name)
    assert running is not None, f"{name} has no pid file"
    return running.pid


def unit(env: dict[str, str], name: str) -> UnitState:
    state = read_state(run_dir(env))
    assert state is not None and name in state.units, f"the supervisor does not know {name}"
    return state.units[name]


def supervisor_pid(env: dict[str, str]) -> int:
    state = read_state(run_dir(env))
    assert state is not None, "no supervisor state file"
    return state.pid


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)
