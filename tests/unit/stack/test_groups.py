"""Every process of a component is found and stopped: its group, the processes that left
the group but carry its marker, and descendants that dropped both (PostgreSQL's)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from satmon.stack.groups import MARKER_VAR, Members, marked_processes, pid_alive

# A leader that starts two children which leave its process group (setsid): one keeps
# its environment (and the marker), one replaces it with an empty one. Both print their
# pids and sleep.
LEADER = textwrap.dedent(
    """
    import os, subprocess, sys, time
    child = "import os, time; os.setsid(); print(os.getpid(), flush=True); time.sleep(60)"
    keep = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    bare = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True,
                            env={})
    print(keep.stdout.readline().strip(), bare.stdout.readline().strip(), flush=True)
    time.sleep(60)
    """
)


def _start(mark: str) -> tuple[subprocess.Popen[str], int, int]:
    leader = subprocess.Popen(
        [sys.executable, "-c", LEADER],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, MARKER_VAR: mark},
        start_new_session=True,
    )
    assert leader.stdout is not None
    keep, bare = (int(p) for p in leader.stdout.readline().split())
    return leader, keep, bare


def _wait_dead(pids: list[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while any(pid_alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_stop_reaches_children_that_left_the_group(tmp_path: Path) -> None:
    mark = f"test/{tmp_path.name}"
    leader, keep, bare = _start(mark)
    members = Members(leader.pid, mark)
    members.remember()
    assert {leader.pid, keep, bare} <= set(members.alive())
    assert keep in marked_processes(mark) and bare not in marked_processes(mark)

    # the leader dies first (kill -9): its children are orphans, out of its group
    os.kill(leader.pid, signal.SIGKILL)
    leader.wait(5)
    assert pid_alive(keep) and pid_alive(bare)
    assert set(members.alive()) == {keep, bare}

    assert members.stop(signal.SIGTERM, timeout_s=2.0)
    assert _wait_dead([keep, bare])


def test_a_fresh_record_finds_marked_orphans_only(tmp_path: Path) -> None:
    """Without the supervisor's memory (``satmon down`` from a shell), the marker still
    finds the child that kept its environment."""
    mark = f"test/{tmp_path.name}"
    leader, keep, bare = _start(mark)
    os.kill(leader.pid, signal.SIGKILL)
    leader.wait(5)
    try:
        assert Members(leader.pid, mark).alive() == [keep]
    finally:
        for pid in (keep, bare):
            os.kill(pid, signal.SIGKILL)
    assert _wait_dead([keep, bare])
