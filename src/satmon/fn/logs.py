"""``satmon fn logs``: a local function's log, the file its process writes under the
run folder (``.satmon/logs/<name>.log``, the same for ``satmon up`` and ``satmon fn run``)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

POLL_S = 0.25


def last_lines(path: Path, count: int) -> str:
    """The last ``count`` lines of ``path`` (read from its end: logs grow large)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        chunk = 64 * 1024
        data = b""
        while size > 0 and data.count(b"\n") <= count:
            step = min(chunk, size)
            size -= step
            handle.seek(size)
            data = handle.read(step) + data
    lines = data.decode(errors="replace").splitlines()
    return "\n".join(lines[-count:]) if count > 0 else ""


class LogFollower:
    """New text of a log file as it is written; starts at its end (or its start)."""

    def __init__(self, path: Path, from_start: bool = False) -> None:
        self.path = path
        self.offset = 0 if from_start or not path.exists() else path.stat().st_size
        self._partial = b""

    def read_new(self) -> list[str]:
        """Complete lines written since the last call; a truncated file is read anew."""
        if not self.path.exists():
            return []
        size = self.path.stat().st_size
        if size < self.offset:
            self.offset = 0
        if size == self.offset:
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            data = self._partial + handle.read(size - self.offset)
        self.offset = size
        *lines, self._partial = data.split(b"\n")
        return [line.decode(errors="replace") for line in lines]


def follow(path: Path, emit: Callable[[str], None], stop: threading.Event) -> None:
    """Emit every new line of ``path`` until ``stop`` is set."""
    follower = LogFollower(path)
    while not stop.wait(POLL_S):
        for line in follower.read_new():
            emit(line)
