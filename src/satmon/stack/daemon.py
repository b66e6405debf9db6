"""A supervisor's life as a process: the lock, the socket, the signals, the final stop.

``serve`` runs in the ``satmon up`` process itself (foreground) or in the background
process ``satmon up --detach`` starts (``python -m satmon.stack.daemon``). It returns
once the supervisor has been asked to go down (``satmon down``, SIGTERM, Ctrl-C),
after stopping every component. Detached, it also goes when it has had nothing to
supervise for ``IDLE_EXIT_S`` (a failed first ``up``, or everything stopped one by one).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from satmon.settings import Settings, get_settings
from satmon.stack.control import ControlServer, socket_address
from satmon.stack.supervisor import Say, Supervisor, mark_all_stopped, try_lock

log = logging.getLogger(__name__)
IDLE_EXIT_S = 10.0


class AlreadySupervised(Exception):
    """Another process holds the run dir's supervisor lock."""


def serve(
    settings: Settings,
    say: Say,
    started: Callable[[Supervisor], None] = lambda _s: None,
    exit_when_idle: bool = False,
) -> None:
    """Supervise until asked to stop; ``started`` runs once the socket answers.

    An exception from ``started`` (e.g. a failed first ``up``) stops everything and
    propagates.
    """
    lock = try_lock(settings.run_dir)
    if lock is None:
        raise AlreadySupervised(str(settings.run_dir))
    supervisor = Supervisor(settings, say)
    stop = threading.Event()
    previous = _on_signals(stop)
    server = ControlServer(socket_address(settings.run_dir), _handler(supervisor, stop))
    try:
        supervisor.adopt_running()
        server.start()
        started(supervisor)
        idle_since = time.monotonic()
        while not stop.wait(1.0) and not supervisor.finished.is_set():
            if any(u.active for u in list(supervisor.units.values())):
                idle_since = time.monotonic()
            elif exit_when_idle and time.monotonic() - idle_since > IDLE_EXIT_S:
                say(f"nothing to supervise for {IDLE_EXIT_S:.0f}s; exiting")
                break
    finally:
        if not supervisor.finished.is_set():
            say("stopping satmon")
            supervisor.down(say)
        server.close()
        supervisor.close()
        mark_all_stopped(settings.run_dir, supervisor.state)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.close()


def _handler(supervisor: Supervisor, stop: threading.Event) -> Any:
    def handle(request: dict[str, Any], say: Say) -> Any:
        result = supervisor.handle(request, say)
        if request.get("op") == "down":
            stop.set()
        return result

    return handle


def _on_signals(stop: threading.Event) -> dict[int, Any]:
    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}


def main() -> None:
    """The detached supervisor (``satmon up --detach`` starts it; its log: supervisor.log)."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stdout,
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        serve(get_settings(), log.info, exit_when_idle=True)
    except AlreadySupervised:
        log.info("another supervisor runs for this run dir; exiting")


if __name__ == "__main__":
    main()
