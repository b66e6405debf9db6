"""Every process of one component: its process group, and whatever left that group.

Each component starts in a session of its own, so its leader's pid is also the group
id: one ``killpg`` reaches gunicorn's forked workers, Triton's model stubs, the JVM.
Some children leave the group on purpose: PostgreSQL's postmaster puts each backend
and auxiliary process in a group of its own. Those are found two more ways:

* every component starts with a marker in its environment (``SATMON_COMPONENT=<stack
  id>/<name>``), which children inherit whatever group or parent they end up with;
* PostgreSQL's children overwrite their environment with their process title, so the
  supervisor also remembers the leader's descendants (pid and start time) every few
  seconds (:class:`Members`): they are still known once the leader is gone.

A stop sends the component's own stop signal to its group only (the leader passes it
on as it sees fit), and SIGKILL to every process still left after the timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import time
from pathlib import Path

MARKER_VAR = "SATMON_COMPONENT"


def stack_id(run_dir: Path) -> str:
    """Names one stack (one run dir) among the stacks sharing this machine's processes."""
    return hashlib.sha256(str(run_dir.resolve()).encode()).hexdigest()[:12]


def marker(run_dir: Path, name: str) -> str:
    return f"{stack_id(run_dir)}/{name}"


class Members:
    """The processes of one component: its group, its marked processes, its descendants."""

    def __init__(self, pgid: int, mark: str) -> None:
        self.pgid = pgid
        self.mark = mark
        self._known: dict[int, str] = {}  # pid → start time, to survive pid reuse

    def remember(self) -> None:
        """Note the leader's descendants now (call while the component runs).

        Walks ``/proc/<pid>/task/<tid>/children`` down from the leader: a few small reads
        instead of a scan of every process, cheap enough every few seconds.
        """
        todo = [self.pgid]
        while todo:
            for child in _children(todo.pop()):
                fields = _stat(child)
                if fields is not None:
                    self._known[child] = fields[19]
                    todo.append(child)

    def alive(self) -> list[int]:
        table = _proc_table()
        found = {pid for pid, f in table.items() if int(f[2]) == self.pgid and f[0] != "Z"}
        found |= {
            pid
            for pid, start in self._known.items()
            if pid in table and table[pid][19] == start and table[pid][0] != "Z"
        }
        found |= set(marked_processes(self.mark, table))
        return sorted(found)

    def stop(self, sig: int, timeout_s: float) -> bool:
        """``sig`` to the group; SIGKILL to all that is left after ``timeout_s``. True when
        nothing is left (False: a process outlived SIGKILL by 5 s, stuck in the kernel)."""
        self.remember()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, sig)
        if self._wait_gone(timeout_s):
            return True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGKILL)
        for pid in self.alive():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return self._wait_gone(5.0)

    def _wait_gone(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while self.alive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
        return True


def pid_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie.

    A zombie is left for its parent to reap: the supervisor's ``Popen.poll`` needs its
    exit status.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def marked_processes(mark: str, table: dict[int, list[str]] | None = None) -> list[int]:
    """Live processes whose environment carries ``SATMON_COMPONENT=<mark>``."""
    needle = f"{MARKER_VAR}={mark}".encode()
    found = []
    for pid, fields in (table if table is not None else _proc_table()).items():
        if fields[0] == "Z" or pid == os.getpid():
            continue
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(pid)
    return found


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in children.read_text().split()]
        except (OSError, ValueError):
            continue
    return out


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _proc_table() -> dict[int, list[str]]:
    """pid → the fields of /proc/<pid>/stat after the command name (state, ppid, pgrp…;
    index 19 is the start time)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            out[int(stat.parent.name)] = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
    return out
