"""The supervisor: one process that owns every component of a stack and keeps it running.

``satmon up`` in the foreground *is* the supervisor; ``satmon up --detach`` starts one
in the background (``python -m satmon.stack.supervisor``, its log in
``logs/supervisor.log``) and hands it the request. Either way it is the parent of
every component, so it learns each exit status at once, restarts what crashed
(``unit.py``, ``policy.py``), answers ``up / restart / stop / down`` on its socket
(``control.py``) and records what it knows in ``supervisor.json`` (``state.py``). One
supervisor per run dir: it holds ``supervisor.lock`` while it lives. Components that a
supervisor killed with ``kill -9`` left behind are adopted by the next one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from satmon.settings import Settings
from satmon.stack.components import COMPONENTS, Component
from satmon.stack.install import ensure_system_packages
from satmon.stack.outcome import ComponentFailed, Outcome
from satmon.stack.policy import RestartPolicy
from satmon.stack.probes import admin, close_admins, subscription_topics
from satmon.stack.process import ProcessTable, free_port_from, port_open
from satmon.stack.replay import OffsetHistory, rewind
from satmon.stack.state import RUNNING, STOPPED, SupervisorState, write_state
from satmon.stack.unit import Hooks, Unit

log = logging.getLogger(__name__)
Say = Callable[[str], None]


class Supervisor:
    def __init__(self, settings: Settings, say: Say = log.info) -> None:
        self.settings = settings
        self.say = say
        self.table = ProcessTable(settings.run_dir)
        self.policy = RestartPolicy(
            delay_s=settings.restart_delay_s,
            max_delay_s=settings.restart_delay_max_s,
            burst=settings.restart_burst,
            window_s=settings.restart_window_s,
            stable_s=settings.restart_stable_s,
        )
        self.units: dict[str, Unit] = {}
        self.state = SupervisorState(os.getpid(), time.time())
        self.finished = threading.Event()  # `down` done: the process may exit
        self._ops = threading.Lock()  # one request at a time
        self._state_lock = threading.Lock()
        self._stop_history = threading.Event()
        self._admin = admin(settings.kafka_bootstrap)
        self._history = OffsetHistory(self._admin, self._replay_groups(), keep_s=_history_s())
        threading.Thread(
            target=self._history.run,
            args=(self._stop_history, lambda: self._healthy("kafka")),
            name="offsets",
            daemon=True,
        ).start()

    # --- requests ----------------------------------------------------------------------
    def handle(self, request: dict[str, Any], say: Say) -> Any:
        """One control request (``control.py``)."""
        op = request.get("op")
        if op == "ping":
            return {"pid": os.getpid()}
        names = [str(n) for n in request.get("names", [])]
        unknown = [n for n in names if n not in COMPONENTS]
        if unknown:
            raise ValueError(f"unknown component(s) {unknown}; known: {list(COMPONENTS)}")
        if op == "up":
            return self.up(names, say)
        if op == "restart":
            return self.restart(names, say)
        if op == "stop":
            return self.stop(names, say)
        if op == "down":
            stopped = self.down(say)
            self.finished.set()
            return stopped
        raise ValueError(f"unknown request {op!r}")

    def up(self, names: Iterable[str], say: Say | None = None) -> list[str]:
        """Start the named components that do not run, servers first; those started."""
        say = say or self.say
        with self._ops:
            wanted = [COMPONENTS[n] for n in names]
            already = [c.name for c in wanted if self._active(c.name)]
            todo = [c for c in wanted if c.name not in already]
            if not todo:
                say("satmon is already up: " + ", ".join(already))
                return []
            if already:
                say("already running: " + ", ".join(already))
            ensure_system_packages()
            self.settings.run_dir.mkdir(parents=True, exist_ok=True)
            started: list[str] = []
            try:
                for tier in ("server", "app"):
                    group = [c for c in todo if c.tier == tier]
                    if group:
                        self._start_group(group, started, say)
            except BaseException:
                say("start failed; stopping what this run started")
                self._stop(reversed(started), say)
                raise
            return started

    def restart(self, names: Iterable[str], say: Say | None = None) -> list[str]:
        """Stop every process of each component, start it again, wait for its health."""
        say = say or self.say
        with self._ops:
            done = []
            for name in names:
                say(f"restarting {name}")
                began = time.monotonic()
                _wait_healthy(name, self._unit(COMPONENTS[name]).restart())
                say(f"{name} healthy after {time.monotonic() - began:.1f}s")
                done.append(name)
            return done

    def stop(self, names: Iterable[str], say: Say | None = None) -> list[str]:
        with self._ops:
            return self._stop(names, say or self.say)

    def down(self, say: Say | None = None) -> list[str]:
        """Stop every component, application tier first."""
        with self._ops:
            known = set(self.units) | set(self.table.names())
            order = [n for n in reversed(list(COMPONENTS)) if n in known]
            order += sorted(known - set(order))
            return self._stop(order, say or self.say)

    def adopt_running(self) -> list[str]:
        """Supervise components that a previous supervisor left running."""
        adopted = []
        for name in self.table.names():
            running = self.table.get(name)
            if name in COMPONENTS and running is not None and running.alive:
                self._unit(COMPONENTS[name]).start(adopt=running)
                adopted.append(name)
        if adopted:
            self.say("adopted what was running: " + ", ".join(adopted))
        return adopted

    def close(self) -> None:
        self._stop_history.set()
        close_admins()

    # --- helpers -----------------------------------------------------------------------
    def _start_group(self, group: list[Component], started: list[str], say: Say) -> None:
        outcomes: dict[str, Outcome] = {}
        for component in group:
            if component.name == "postgres":
                self._choose_postgres_port(say)
            say(f"starting {component.name}")
            outcomes[component.name] = self._unit(component).start()
            started.append(component.name)
        begun = time.monotonic()
        pending = dict(outcomes)
        while pending:
            for name, outcome in list(pending.items()):
                if outcome.done:
                    _wait_healthy(name, outcome)
                    say(f"{name} healthy after {time.monotonic() - begun:.1f}s")
                    del pending[name]
            time.sleep(0.05)

    def _stop(self, names: Iterable[str], say: Say) -> list[str]:
        stopped = []
        for name in names:
            unit = self.units.get(name)
            timeout = COMPONENTS[name].stop_timeout_s + 10 if name in COMPONENTS else 30.0
            ran = unit.stop(timeout) if unit is not None else False
            ran = self.table.stop(name, timeout_s=timeout) or ran  # anything left unsupervised
            if ran:
                say(f"stopped {name}")
                stopped.append(name)
        return stopped

    def _unit(self, component: Component) -> Unit:
        unit = self.units.get(component.name)
        if unit is None:
            hooks = Hooks(self._changed, self.say, self._dependencies_healthy, self._recovered)
            unit = Unit(
                component,
                self.settings,
                self.table,
                self.policy,
                hooks,
                liveness_grace_s=self.settings.liveness_grace_s,
            )
            with self._state_lock:  # a unit's thread may be writing the state file
                self.units[component.name] = unit
                self.state.units[component.name] = unit.state
        return unit

    def _healthy(self, name: str) -> bool:
        unit = self.units.get(name)
        return unit is not None and unit.state.state == RUNNING and unit.state.healthy

    def _active(self, name: str) -> bool:
        unit = self.units.get(name)
        return unit is not None and unit.active

    def _changed(self) -> None:
        with self._state_lock:
            write_state(self.settings.run_dir, self.state)

    def _dependencies_healthy(self, component: Component) -> bool:
        """An application's failed probe counts only while every server is fine."""
        if component.tier == "server":
            return True
        servers = [u for u in list(self.units.values()) if u.component.tier == "server"]
        return all(u.state.state == RUNNING and u.state.healthy for u in servers)

    def _choose_postgres_port(self, say: Say) -> None:
        """Keep 5432 unless somebody else holds it; record the choice for every client."""
        ports_file = self.settings.run_dir / "ports.json"
        chosen = json.loads(ports_file.read_text()) if ports_file.exists() else {}
        port = self.settings.pg_port
        if "SATMON_PG_PORT" not in os.environ and port_open(port):
            port = free_port_from(port + 1)
            say(f"port {self.settings.pg_port} is taken; PostgreSQL will use {port}")
        chosen["pg_port"] = port
        ports_file.write_text(json.dumps(chosen))
        self.settings.pg_port = port

    # --- redelivery after a store's crash (replay.py) ------------------------------------
    def _replay_groups(self) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for component in COMPONENTS.values():
            if component.replay is not None:
                groups |= subscription_topics(self.settings, component.replay.subscriptions)
        return groups

    def _recovered(self, component: Component, crashed_at: float) -> None:
        if component.replay is not None:
            threading.Thread(
                target=self._replay, args=(component, crashed_at), name="replay", daemon=True
            ).start()

    def _replay(self, component: Component, crashed_at: float) -> None:
        """Stop the dispatcher, move its groups back to before the crash, start it again."""
        replay = component.replay
        assert replay is not None
        groups = subscription_topics(self.settings, replay.subscriptions)
        with self._ops:
            unit = self.units.get(replay.dispatcher)
            if unit is None or not unit.active:
                return
            targets = self._history.at(crashed_at - replay.window_s)
            if targets is None:
                self.say(f"{component.name} is back after a crash; no offsets known to replay")
                return
            self.say(
                f"{component.name} is back after a crash: {replay.dispatcher} redelivers "
                f"what it delivered from {replay.window_s:.0f}s before"
            )
            unit.stop(COMPONENTS[replay.dispatcher].stop_timeout_s + 10)
            try:
                count = rewind(self._admin, groups, targets, self.say)
                self.say(f"{count} events to redeliver")
            except Exception as exc:
                self.say(f"could not move the offsets back: {exc}")
            try:
                _wait_healthy(replay.dispatcher, unit.start())
            except ComponentFailed as exc:
                self.say(f"{replay.dispatcher} did not come back: {exc.reason}")


def _wait_healthy(name: str, outcome: Outcome) -> None:
    outcome.wait()
    if outcome.error is not None:
        raise outcome.error


def _history_s() -> float:
    windows = [c.replay.window_s for c in COMPONENTS.values() if c.replay is not None]
    return max(windows, default=0.0) + 120.0


def lock_path(run_dir: Path) -> Path:
    return run_dir / "supervisor.lock"


def try_lock(run_dir: Path) -> IO[str] | None:
    """Hold the run dir's supervisor lock for this process's life; None if another holds it."""
    run_dir.mkdir(parents=True, exist_ok=True)
    handle = lock_path(run_dir).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def mark_all_stopped(run_dir: Path, state: SupervisorState) -> None:
    for unit in state.units.values():
        unit.state, unit.pid, unit.healthy = STOPPED, None, False
    write_state(run_dir, state)
