"""``satmon up / restart / down / status`` as seen from a shell: talk to the supervisor.

Every component runs under a supervisor (``supervisor.py``). ``up`` in the foreground
becomes the supervisor itself; ``up --detach``, ``restart`` and the ``up`` / ``stop``
that tests call start one in the background when none runs, then hand it the request.
``down`` asks it to stop everything and exit, then stops whatever is left without a
supervisor (from the pid files). ``status`` reads the supervisor's state file and asks
each running component's own health probe.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from satmon.errors import SatmonError
from satmon.settings import Settings
from satmon.stack import control
from satmon.stack.components import COMPONENTS, Component
from satmon.stack.groups import MARKER_VAR, pid_alive
from satmon.stack.outcome import ComponentFailed
from satmon.stack.process import ProcessTable
from satmon.stack.state import BACKOFF, FAILED, RUNNING, STOPPED, UnitState, read_state, uptime_s

log = logging.getLogger(__name__)
__all__ = ["ComponentFailed", "Launcher", "StatusRow"]
SUPERVISOR_START_S = 30.0


@dataclass
class StatusRow:
    name: str
    state: str  # starting, running, backoff, failed, exited, stopped (state.py)
    pid: int | None
    ports: list[int]
    running: bool
    healthy: bool
    uptime_s: float | None
    restarts: int = 0
    last_exit: str | None = None
    reason: str = ""
    log_tail: str = ""  # the last log lines at the last exit


class Launcher:
    def __init__(self, settings: Settings, say: Callable[[str], None] = log.info) -> None:
        self.settings = settings
        self.table = ProcessTable(settings.run_dir)
        self.say = say
        self.address = control.socket_address(settings.run_dir)

    # --- through the supervisor --------------------------------------------------------
    def up(self, names: Iterable[str]) -> list[str]:
        """Start the named components that are not running; returns those started."""
        return list(self._call("up", names, start=True))

    def restart(self, names: Iterable[str]) -> list[str]:
        return list(self._call("restart", names, start=True))

    def stop(self, names: Iterable[str]) -> list[str]:
        """Stop components (the supervisor does not restart them); those that ran."""
        names = list(names)
        if self.supervised():
            return list(self._call("stop", names))
        return [n for n in names if self.table.stop(n, timeout_s=_stop_timeout(n))]

    def down(self) -> list[str]:
        """Stop every component and the supervisor; returns the components stopped."""
        stopped: list[str] = []
        if self.supervised():
            state = read_state(self.settings.run_dir)
            stopped = list(self._call("down", []))
            # its socket closes before the process ends: wait for the process itself
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and (
                self.supervised() or (state is not None and pid_alive(state.pid))
            ):
                time.sleep(0.1)
        left = [n for n in reversed(list(COMPONENTS)) if n in self.table.names()]
        left += [n for n in self.table.names() if n not in left]
        for name in left:
            if self.table.stop(name, timeout_s=_stop_timeout(name)):
                self.say(f"stopped {name}")
                stopped.append(name)
        return stopped

    def run_foreground(self, names: list[str], on_up: Callable[[], None]) -> None:
        """Be the supervisor: start ``names``, call ``on_up``, run until Ctrl-C / down."""
        from satmon.stack.daemon import AlreadySupervised, serve

        def started(supervisor: object) -> None:
            from satmon.stack.supervisor import Supervisor

            assert isinstance(supervisor, Supervisor)
            supervisor.up(names, self.say)
            on_up()

        try:
            serve(self.settings, self.say, started)
        except AlreadySupervised:
            self.up(names)
            on_up()
            self.say(
                "a supervisor already runs this stack in the background; `satmon down` stops it"
            )

    def supervised(self) -> bool:
        return control.answering(self.address)

    def _call(self, op: str, names: Iterable[str], start: bool = False) -> list[str]:
        if start and not self.supervised():
            self._start_supervisor()
        return [str(n) for n in control.call(self.address, op, self.say, names=list(names))]

    def _start_supervisor(self) -> None:
        """``python -m satmon.stack.daemon`` in a session of its own, until it answers."""
        self.table.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.table.log_dir / "supervisor.log"
        env = {k: v for k, v in os.environ.items() if k != MARKER_VAR}
        with log_path.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "satmon.stack.daemon"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + SUPERVISOR_START_S
        while not self.supervised():
            if proc.poll() is not None and not self.supervised():
                tail = self.table.log_tail("supervisor", 20)
                raise SatmonError(f"the supervisor exited ({proc.returncode}):\n{tail}")
            if time.monotonic() > deadline:
                raise SatmonError(f"the supervisor did not answer within {SUPERVISOR_START_S:.0f}s")
            time.sleep(0.1)

    # --- status ------------------------------------------------------------------------
    def status(self, names: Iterable[str] | None = None) -> list[StatusRow]:
        state = read_state(self.settings.run_dir)
        units = state.units if state is not None and self.supervised() else {}
        extra = [n for n in self.table.names() if n not in COMPONENTS and n != "supervisor"]
        wanted = list(names or [*COMPONENTS, *extra])
        with ThreadPoolExecutor(max(1, len(wanted))) as pool:
            return list(pool.map(lambda n: self._row(n, units.get(n)), wanted))

    def _row(self, name: str, unit: UnitState | None) -> StatusRow:
        running = self.table.get(name)
        alive = running is not None and running.alive
        component = COMPONENTS.get(name)
        healthy = alive and component is not None and _probe(component, self.settings)
        if unit is None:
            return StatusRow(
                name,
                RUNNING if alive else STOPPED,
                running.pid if running and alive else None,
                running.ports if running and alive else [],
                alive,
                healthy,
                time.time() - running.started if running and alive else None,
            )
        show_log = unit.state in (FAILED, BACKOFF) or unit.restarts > 0
        return StatusRow(
            name,
            unit.state,
            running.pid if running and alive else None,
            running.ports if running and alive else [],
            alive,
            healthy,
            uptime_s(unit),
            unit.restarts,
            unit.last_exit,
            unit.reason,
            unit.last_exit_log if show_log else "",
        )


def _probe(component: Component, settings: Settings) -> bool:
    try:
        return component.health(settings)
    except Exception as exc:  # a probe that raises reports "unhealthy"
        log.debug("%s: health probe failed: %s", component.name, exc)
        return False


def _stop_timeout(name: str) -> float:
    component = COMPONENTS.get(name)
    return component.stop_timeout_s if component else 20.0
