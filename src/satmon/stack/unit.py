"""One supervised component: start it, wait for its health, watch it, restart it.

A unit runs in a thread of its own, one *life* after another: start the process, wait
until its own health probe answers, then watch it (exit status, and the probe every few
seconds) until it exits, stays unhealthy too long, or is asked to stop or restart.
After each life every process of the component is stopped (``groups.py``), so no
orphan keeps a port, and the restart policy (``policy.py``) decides what comes next.
A start that somebody asked for (``up``, ``restart``) reports its outcome to them and
is not retried when it fails; only the restarts of the supervisor's own are.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from satmon.settings import Settings
from satmon.stack.components import Component
from satmon.stack.groups import Members
from satmon.stack.outcome import ComponentFailed, Outcome
from satmon.stack.policy import Backoff, RestartPolicy, clean_exit, describe_exit
from satmon.stack.process import ProcessSpec, ProcessTable, Running, pid_alive, port_open
from satmon.stack.state import (
    BACKOFF,
    EXITED,
    FAILED,
    RUNNING,
    STARTING,
    STOPPED,
    STOPPING,
    UnitState,
)

log = logging.getLogger(__name__)
PROBE_INTERVAL_S = 5.0


@dataclass
class Hooks:
    """What a unit asks of its supervisor."""

    changed: Callable[[], None]
    say: Callable[[str], None]
    dependencies_healthy: Callable[[Component], bool]
    recovered: Callable[[Component, float], None]  # healthy again after a crash at this time


@dataclass
class _Ended:
    """How one life of a component ended."""

    why: str  # "requested", "exit", "unhealthy", "start failed"
    returncode: int | None = None
    reason: str = ""
    healthy_for_s: float = 0.0
    proc: subprocess.Popen[bytes] | None = None
    reached_healthy: bool = False
    started: bool = True  # False: no process was started at all


class Unit:
    def __init__(
        self,
        component: Component,
        settings: Settings,
        table: ProcessTable,
        policy: RestartPolicy,
        hooks: Hooks,
        liveness_grace_s: float = 60.0,
    ) -> None:
        self.component = component
        self.name = component.name
        self.settings = settings
        self.table = table
        self.hooks = hooks
        self.liveness_grace_s = liveness_grace_s
        self.state = UnitState(component.name)
        self._backoff = Backoff(policy)
        self._lock = threading.RLock()
        self._request = threading.Event()  # a stop or restart is waiting
        self._want = "run"  # "run" | "stop" | "restart"
        self._outcome: Outcome | None = None
        self._thread: threading.Thread | None = None
        self._adopted: Running | None = None
        self._members: Members | None = None  # the processes of the current life

    # --- what the supervisor asks ------------------------------------------------------
    @property
    def active(self) -> bool:
        """Running, starting or about to start again (its thread lives)."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, adopt: Running | None = None) -> Outcome:
        """Start (or, once stopped / failed, start again) and report the first outcome."""
        with self._lock:
            if self.active:
                raise RuntimeError(f"{self.name} is already supervised")
            self._want = "run"
            self._request.clear()
            self._backoff.reset()
            self._adopted = adopt
            self._outcome = outcome = Outcome()
            self._thread = threading.Thread(target=self._run, name=f"unit-{self.name}", daemon=True)
            self._thread.start()
        return outcome

    def restart(self) -> Outcome:
        """Stop every process of the component and start it again, as if asked anew."""
        with self._lock:
            if not self.active:
                return self.start()
            if self._outcome is not None:
                self._outcome.settle(ComponentFailed(self.name, "restarted before healthy", ""))
            self._outcome = outcome = Outcome()
            self._want = "restart"
            self._request.set()
        return outcome

    def stop(self, timeout: float | None = None) -> bool:
        """Stop the component and its restarts; True if it had something running."""
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return False
            self._want = "stop"
            self._request.set()
        thread.join(timeout)
        return True

    # --- the lives ---------------------------------------------------------------------
    def _run(self) -> None:
        requested = True  # this life was asked for: report it, do not retry it
        crashed_at: float | None = None  # when the current run of restarts began
        while True:
            try:
                ended = self._life(requested, crashed_at)
            except Exception as exc:  # a bug of ours must not leave the component unwatched
                log.exception("supervising %s failed", self.name)
                ended = _Ended("error", reason=f"supervision error: {exc}")
            self._clean_up(ended)
            if ended.reached_healthy:
                requested, crashed_at = False, None
            want = self._take_request()
            if want == "stop":
                self._stopped()
                return
            if want == "restart":
                self._backoff.reset()
                requested = True
                continue
            if requested:  # asked for, and never healthy
                self._fail(ended.reason)
                return
            if ended.why == "exit" and clean_exit(ended.returncode):
                self._set(EXITED, reason="ended on its own")
                return
            if crashed_at is None:
                crashed_at = self.state.last_exit_at
            delay = self._backoff.after_failure(time.monotonic(), ended.healthy_for_s)
            if delay is None:
                policy = self._backoff.policy
                self._fail(
                    f"{ended.reason}; more than {policy.burst} failures within "
                    f"{policy.window_s:.0f}s, not restarted again"
                )
                return
            self.hooks.say(f"{self.name} {ended.reason}; restarting in {delay:.1f}s")
            self._set(BACKOFF, next_start_at=time.time() + delay, reason=ended.reason)
            if self._request.wait(delay):
                if self._take_request() == "stop":
                    self._stopped()
                    return
                self._backoff.reset()  # restart asked during the backoff: now, as asked
                requested = True
            else:
                self.state.restarts += 1

    def _take_request(self) -> str:
        with self._lock:
            want, self._want = self._want, "run"
            self._request.clear()
        return want

    def _life(self, requested: bool, crashed_at: float | None) -> _Ended:
        adopted, self._adopted = self._adopted, None
        if adopted is not None:
            self._members = Members(adopted.pid, self.table.marker(self.name))
            self._set(RUNNING, pid=adopted.pid, started_at=adopted.started, healthy_at=time.time())
            self._settle(None)
            return self._watch(adopted.pid, None)
        self._set(STARTING, pid=None, started_at=None, healthy_at=None, next_start_at=None)
        try:
            spec = self.component.build(self.settings)
            busy = [p for p in spec.ports if port_open(p)]
            if busy:
                raise ComponentFailed(
                    self.name, f"port {busy[0]} is already held by another process", ""
                )
            running, proc = self.table.start(spec)
        except Exception as exc:  # a spec that cannot be built is a failed start
            return _Ended("start failed", reason=_reason(exc), started=False)
        self._members = Members(running.pid, self.table.marker(self.name))
        self._set(STARTING, pid=running.pid, started_at=time.time())
        problem = self._await_health(spec, proc)
        if problem is not None:
            return problem
        self._set(RUNNING, healthy=True, healthy_at=time.time())
        self._settle(None)
        if not requested and crashed_at is not None:
            self.hooks.recovered(self.component, crashed_at)
        return self._watch(running.pid, proc)

    def _await_health(self, spec: ProcessSpec, proc: subprocess.Popen[bytes]) -> _Ended | None:
        begun = time.monotonic()
        while True:
            if self._request.is_set():
                return _Ended("requested", proc=proc)
            code = proc.poll()
            if code is not None:
                return _Ended(
                    "exit", code, f"exited during start ({describe_exit(code)})", proc=proc
                )
            if _ask(spec.healthy):
                if spec.after_healthy is not None:
                    try:
                        spec.after_healthy()
                    except Exception as exc:
                        reason = f"set-up after start failed: {exc}"
                        return _Ended("start failed", reason=reason, proc=proc)
                return None
            self._remember()
            if failure := spec.failed():
                return _Ended("start failed", reason=failure, proc=proc)
            if time.monotonic() - begun > spec.start_timeout_s:
                reason = f"not healthy within {spec.start_timeout_s:.0f}s"
                return _Ended("start failed", reason=reason, proc=proc)
            self._request.wait(0.25)

    def _watch(self, pid: int, proc: subprocess.Popen[bytes] | None) -> _Ended:
        """Until the component exits, stays unhealthy too long, or a request comes."""
        since = time.monotonic()
        next_probe = since + PROBE_INTERVAL_S
        unhealthy_since: float | None = None

        def ended(why: str, code: int | None = None, reason: str = "") -> _Ended:
            ran = (unhealthy_since or time.monotonic()) - since
            return _Ended(why, code, reason, ran, proc=proc, reached_healthy=True)

        while True:
            if self._request.wait(0.5):
                return ended("requested")
            code = proc.poll() if proc is not None else None
            if code is not None or (proc is None and not pid_alive(pid)):
                return ended("exit", code, f"exited unexpectedly ({describe_exit(code)})")
            now = time.monotonic()
            if now < next_probe:
                continue
            next_probe = now + PROBE_INTERVAL_S
            self._remember()
            healthy = _ask(lambda: self.component.health(self.settings))
            if healthy != self.state.healthy:
                self._set(self.state.state, healthy=healthy)
            if healthy or not self.hooks.dependencies_healthy(self.component):
                unhealthy_since = None
                continue
            unhealthy_since = unhealthy_since or now
            if now - unhealthy_since >= self.liveness_grace_s:
                return ended("unhealthy", None, f"unhealthy for {now - unhealthy_since:.0f}s")

    def _clean_up(self, ended: _Ended) -> None:
        """Stop whatever is left of the component and record how the life ended."""
        if ended.why == "requested":
            self._set(STOPPING)
        self.table.stop(self.name, self.component.stop_timeout_s, members=self._members)
        self._members = None
        if ended.proc is not None:  # reap the leader (its status is known or not wanted)
            with contextlib.suppress(subprocess.TimeoutExpired):
                ended.proc.wait(timeout=5)
        if ended.why == "requested":
            return
        self.state.last_exit = describe_exit(ended.returncode) if ended.why == "exit" else ended.why
        self.state.last_exit_at = time.time()
        self.state.last_exit_log = self.table.log_tail(self.name, 15) if ended.started else ""
        self.state.reason = ended.reason
        self.hooks.changed()

    def _remember(self) -> None:
        if self._members is not None:
            self._members.remember()

    # --- state -------------------------------------------------------------------------
    def _stopped(self) -> None:
        self._set(STOPPED, reason="", next_start_at=None)
        self._settle(ComponentFailed(self.name, "stopped before it was healthy", ""))

    def _fail(self, reason: str) -> None:
        log_tail = self.state.last_exit_log or "(not started)"
        if self.state.last_exit_log:
            log_tail = self.table.log_tail(self.name, 25)
        self._set(FAILED, reason=reason, next_start_at=None)
        self.hooks.say(f"{self.name} failed: {reason}")
        self._settle(ComponentFailed(self.name, reason, log_tail))

    def _settle(self, error: ComponentFailed | None) -> None:
        outcome = self._outcome
        if outcome is not None:
            outcome.settle(error)

    def _set(self, state: str, **fields: object) -> None:
        self.state.state = state
        for key, value in fields.items():
            setattr(self.state, key, value)
        if state not in (RUNNING, STARTING):
            self.state.healthy = False
        self.hooks.changed()


def _ask(probe: Callable[[], bool]) -> bool:
    """A probe that raises says "unhealthy", never ends the watch."""
    try:
        return bool(probe())
    except Exception as exc:
        log.warning("health probe failed: %s", exc)
        return False


def _reason(exc: Exception) -> str:
    return exc.reason if isinstance(exc, ComponentFailed) else f"could not start: {exc}"
