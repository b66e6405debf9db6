"""``satmon up / down / status``: start every component, wait for health, stop cleanly.

Servers start first (all at once, then their health is awaited together); the
application tier (functions, dispatcher, simulator) starts once the servers are
healthy. A component that fails is reported by name with the tail of its log, and
everything this ``up`` started is stopped again, so a failed start leaves nothing
behind.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from satmon.errors import SatmonError
from satmon.settings import Settings
from satmon.stack.components import COMPONENTS, Component
from satmon.stack.install import ensure_system_packages
from satmon.stack.process import ProcessSpec, ProcessTable, Running, free_port_from, port_open

log = logging.getLogger(__name__)


class ComponentFailed(SatmonError):
    def __init__(self, name: str, reason: str, log_tail: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
        self.log_tail = log_tail


@dataclass
class StatusRow:
    name: str
    pid: int | None
    ports: list[int]
    running: bool
    healthy: bool
    uptime_s: float | None


class Launcher:
    def __init__(self, settings: Settings, say: Callable[[str], None] = log.info) -> None:
        self.settings = settings
        self.table = ProcessTable(settings.run_dir)
        self.say = say

    # --- up -------------------------------------------------------------------------
    def up(self, names: Iterable[str]) -> list[str]:
        """Start the named components that are not running; returns those started."""
        wanted = [COMPONENTS[n] for n in names]
        already = [c.name for c in wanted if self._running(c.name)]
        todo = [c for c in wanted if c.name not in already]
        if not todo:
            self.say("satmon is already up: " + ", ".join(already))
            return []
        if already:
            self.say("already running: " + ", ".join(already))
        ensure_system_packages()
        self.settings.run_dir.mkdir(parents=True, exist_ok=True)
        started: list[str] = []
        try:
            for tier in ("server", "app"):
                group = [c for c in todo if c.tier == tier]
                if group:
                    self._start_group(group, started)
        except BaseException:
            self.say("start failed; stopping what this run started")
            self.stop(reversed(started))
            raise
        return started

    def _start_group(self, group: list[Component], started: list[str]) -> None:
        specs: dict[str, ProcessSpec] = {}
        for component in group:
            if component.name == "postgres":
                self._choose_postgres_port()
            spec = component.build(self.settings)
            busy = [p for p in spec.ports if port_open(p)]
            if busy:
                raise ComponentFailed(
                    component.name,
                    f"port {busy[0]} is already held by another process",
                    "(not started)",
                )
            self.say(f"starting {component.name}")
            self.table.start(spec)
            started.append(component.name)
            specs[component.name] = spec
        self._await_health(specs)

    def _await_health(self, specs: dict[str, ProcessSpec]) -> None:
        begun = time.monotonic()
        pending = dict(specs)
        while pending:
            for name, spec in list(pending.items()):
                running = self.table.get(name)
                if running is None or not running.alive:
                    raise ComponentFailed(name, "exited during start", self.table.log_tail(name))
                if spec.healthy():
                    if spec.after_healthy is not None:
                        try:
                            spec.after_healthy()
                        except Exception as exc:
                            raise ComponentFailed(
                                name, f"set-up after start failed: {exc}", self.table.log_tail(name)
                            ) from exc
                    self.say(f"{name} healthy after {time.monotonic() - begun:.1f}s")
                    del pending[name]
                elif reason := spec.failed():
                    raise ComponentFailed(name, reason, self.table.log_tail(name))
                elif time.monotonic() - begun > spec.start_timeout_s:
                    raise ComponentFailed(
                        name,
                        f"not healthy within {spec.start_timeout_s:.0f}s",
                        self.table.log_tail(name),
                    )
            time.sleep(0.25)

    def _choose_postgres_port(self) -> None:
        """Keep 5432 unless somebody else holds it; record the choice for every client."""
        ports_file = self.settings.run_dir / "ports.json"
        chosen = json.loads(ports_file.read_text()) if ports_file.exists() else {}
        port = self.settings.pg_port
        if "SATMON_PG_PORT" not in os.environ and port_open(port):
            port = free_port_from(port + 1)
            self.say(f"port {self.settings.pg_port} is taken; PostgreSQL will use {port}")
        chosen["pg_port"] = port
        ports_file.write_text(json.dumps(chosen))
        self.settings.pg_port = port

    # --- down / status --------------------------------------------------------------
    def down(self) -> list[str]:
        """Stop every running component, application tier first."""
        order = [n for n in reversed(list(COMPONENTS)) if n in self.table.names()]
        order += [n for n in self.table.names() if n not in order]
        return self.stop(order)

    def stop(self, names: Iterable[str]) -> list[str]:
        stopped = []
        for name in names:
            component = COMPONENTS.get(name)
            timeout = component.stop_timeout_s if component else 20.0
            if self.table.stop(name, timeout_s=timeout):
                self.say(f"stopped {name}")
                stopped.append(name)
        return stopped

    def status(self, names: Iterable[str] | None = None) -> list[StatusRow]:
        rows = []
        for name in names or [*COMPONENTS, *(n for n in self.table.names() if n not in COMPONENTS)]:
            running = self.table.get(name)
            alive = running is not None and running.alive
            component = COMPONENTS.get(name)
            healthy = alive and component is not None and component.health(self.settings)
            rows.append(
                StatusRow(
                    name,
                    running.pid if running else None,
                    running.ports if running else [],
                    alive,
                    healthy,
                    time.time() - running.started if running and alive else None,
                )
            )
        return rows

    def _running(self, name: str) -> Running | None:
        running = self.table.get(name)
        return running if running is not None and running.alive else None

    # --- foreground supervision -----------------------------------------------------
    def supervise(self) -> None:
        """Block until SIGINT / SIGTERM, reporting components that die; then stop all."""
        stop = threading.Event()

        def _on_signal(signum: int, _frame: object) -> None:
            stop.set()

        previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        reported: set[str] = set()
        try:
            while not stop.wait(1.0):
                for name in self.table.names():
                    running = self.table.get(name)
                    if running and not running.alive and name not in reported:
                        reported.add(name)
                        self.say(
                            f"{name} exited unexpectedly; last log lines:\n"
                            + self.table.log_tail(name, 15)
                        )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.say("stopping satmon")
            self.down()
