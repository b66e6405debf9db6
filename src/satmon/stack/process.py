"""Start, find and stop the stack's processes, one session (process group) each.

Each component runs in its own session so that Ctrl-C in the launcher's terminal does
not reach it half-way: the supervisor stops components itself, in reverse order, and
waits until every process of the component is gone (``groups.py``). A pid file per
component (JSON: pid, start time, ports, argv) lets ``satmon status`` and ``satmon
down`` work from any shell, and a new supervisor find what an old one left running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from satmon.stack.groups import MARKER_VAR, Members, marker, pid_alive

FORECASTING_NICE = 10
"""CPU priority of the forecasting side (its dispatcher, forecaster, result-store,
Triton). Each minute's scheduled tick queues a job per active satellite × metric ×
model, a burst that on two cores delays telemetry on its way to VictoriaMetrics;
forecasts can wait a few milliseconds, ingestion should not."""


@dataclass
class ProcessSpec:
    """How to run one component: argv, environment, ports and how to tell it's healthy."""

    name: str
    argv: Sequence[str]
    ports: Sequence[int] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    healthy: Callable[[], bool] = lambda: True
    after_healthy: Callable[[], None] | None = None
    failed: Callable[[], str | None] = lambda: None  # a reason to stop waiting at once
    start_timeout_s: float = 60.0
    stop_timeout_s: float = 20.0
    stop_signal: int = signal.SIGTERM
    kind: str = "server"
    nice: int = 0  # > 0: below the ingestion path's CPU priority (``nice -n``)
    user: str | None = None  # run as this system user (the launcher is root)


@dataclass
class Running:
    name: str
    pid: int  # the leader; also the process group id
    started: float
    ports: list[int]
    argv: list[str]
    log: str
    stop_signal: int = signal.SIGTERM

    @property
    def alive(self) -> bool:
        return pid_alive(self.pid)


class ProcessTable:
    """The pid files under ``<run_dir>/pids`` and the logs under ``<run_dir>/logs``."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.pid_dir = run_dir / "pids"
        self.log_dir = run_dir / "logs"

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, spec: ProcessSpec) -> tuple[Running, subprocess.Popen[bytes]]:
        """Start ``spec`` in a session of its own, its log appended to ``logs/<name>.log``."""
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_path(spec.name)
        # the component's name in its records: two dispatchers run the same command
        env = {**os.environ, "SATMON_LOG_COMPONENT": spec.name, **spec.env}
        env[MARKER_VAR] = self.marker(spec.name)
        with log_path.open("ab") as log:
            log.write(f"\n==== satmon: starting {spec.name} at {time.ctime()} ====\n".encode())
            log.flush()
            argv = list(spec.argv)
            if spec.nice:  # children (gunicorn workers, model stubs) inherit it
                argv = ["nice", "-n", str(spec.nice), *argv]
            proc = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=spec.cwd,
                env=env,
                start_new_session=True,
                user=spec.user,
                group=spec.user,
                extra_groups=[] if spec.user else None,
            )
        running = Running(
            spec.name,
            proc.pid,
            time.time(),
            list(spec.ports),
            list(spec.argv),
            str(log_path),
            int(spec.stop_signal),
        )
        self._pid_file(spec.name).write_text(json.dumps(running.__dict__))
        return running, proc

    def marker(self, name: str) -> str:
        return marker(self.run_dir, name)

    def members(self, name: str) -> Members | None:
        running = self.get(name)
        return Members(running.pid, self.marker(name)) if running is not None else None

    def alive(self, name: str) -> bool:
        """Anything of the component left: its leader, its group or a marked process."""
        members = self.members(name)
        return members is not None and bool(members.alive())

    def get(self, name: str) -> Running | None:
        path = self._pid_file(name)
        if not path.exists():
            return None
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            return Running(**data)
        except (ValueError, TypeError):
            return None

    def stop(
        self,
        name: str,
        timeout_s: float = 20.0,
        sig: int | None = None,
        members: Members | None = None,
    ) -> bool:
        """Stop every process of a component; SIGKILL after the timeout. True if it ran.

        ``members``: the supervisor's record of the component's processes, which also
        knows the descendants that have lost their parent.
        """
        running = self.get(name)
        members = members or self.members(name)
        if members is None:
            return False
        was_alive = bool(members.alive())
        if was_alive:
            default = running.stop_signal if running is not None else signal.SIGTERM
            members.stop(sig or default, timeout_s)
        self.forget(name)
        return was_alive

    def forget(self, name: str) -> None:
        self._pid_file(name).unlink(missing_ok=True)

    def names(self) -> list[str]:
        if not self.pid_dir.exists():
            return []
        return sorted(p.stem for p in self.pid_dir.glob("*.pid"))

    def log_tail(self, name: str, lines: int = 25) -> str:
        path = self.log_path(name)
        if not path.exists():
            return "(no log)"
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            text = fh.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _pid_file(self, name: str) -> Path:
        return self.pid_dir / f"{name}.pid"


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    """True if something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def free_port_from(start: int, host: str = "127.0.0.1") -> int:
    port = start
    while port_open(port, host):
        port += 1
    return port
