"""What the supervisor knows of each component, kept in ``<run_dir>/supervisor.json``.

The supervisor rewrites the file (atomically) whenever a component changes state, so
``satmon status`` reads restarts, last exit and backoff from any shell without asking
the supervisor anything; the file also names the supervisor's pid, so a supervisor that
died is told apart from one that runs.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STARTING = "starting"
RUNNING = "running"
BACKOFF = "backoff"  # exited unexpectedly; starts again at ``next_start_at``
FAILED = "failed"  # kept crashing (or failed to start): stays down until asked again
EXITED = "exited"  # ended cleanly on its own (status 0 / SIGTERM): not restarted
STOPPING = "stopping"
STOPPED = "stopped"


@dataclass
class UnitState:
    name: str
    state: str = STOPPED
    pid: int | None = None
    started_at: float | None = None  # wall clock, s
    healthy_at: float | None = None
    healthy: bool = False
    restarts: int = 0  # automatic restarts since the supervisor first started it
    last_exit: str | None = None  # "0", "1", "SIGKILL", "unhealthy", "start failed"
    last_exit_at: float | None = None
    last_exit_log: str = ""  # the last log lines at that exit
    next_start_at: float | None = None
    reason: str = ""  # why it is failed / backing off, in words


@dataclass
class SupervisorState:
    pid: int
    started_at: float
    units: dict[str, UnitState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "started_at": self.started_at,
            # a copy first: the supervisor adds units while a unit's thread writes
            "units": {n: asdict(u) for n, u in list(self.units.items())},
        }


def state_path(run_dir: Path) -> Path:
    return run_dir / "supervisor.json"


def write_state(run_dir: Path, state: SupervisorState) -> None:
    path = state_path(run_dir)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(state.to_json(), indent=1))
    tmp.replace(path)


def read_state(run_dir: Path) -> SupervisorState | None:
    try:
        data = json.loads(state_path(run_dir).read_text())
        units = {n: UnitState(**u) for n, u in data.get("units", {}).items()}
        return SupervisorState(int(data["pid"]), float(data["started_at"]), units)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def uptime_s(unit: UnitState) -> float | None:
    if unit.state not in (RUNNING, STARTING) or unit.started_at is None:
        return None
    return time.time() - unit.started_at
