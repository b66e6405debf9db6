"""Reading log files from a position, and the positions file that survives restarts.

A position is a file's inode and the offset up to which its lines were shipped. A
file replaced by another (a new inode) or cut shorter than the offset is read again
from its start. Only complete lines are read; an unfinished last line is left for
the next read unless it has not grown for :data:`PARTIAL_WAIT_S` (a writer that died
mid-line) or alone exceeds the read size.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

PARTIAL_WAIT_S = 2.0


@dataclass(frozen=True)
class Position:
    inode: int
    offset: int


@dataclass(frozen=True)
class Chunk:
    """Lines read from one file (each with the offset it starts at) and the position
    after them, to commit once they are stored."""

    path: Path
    lines: list[tuple[int, str]]
    after: Position


class FileTail:
    def __init__(self, path: Path, position: Position | None = None) -> None:
        self.path = path
        self.position = position
        self._partial_seen: tuple[int, float] | None = None  # (size, since)

    def read(self, max_bytes: int) -> Chunk | None:
        """Lines past the committed position (None: nothing new, or the file is gone)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        start = self.position.offset if self.position else 0
        if self.position is None or self.position.inode != stat.st_ino or stat.st_size < start:
            start = 0
        if stat.st_size <= start:
            return None
        with open(self.path, "rb") as handle:
            handle.seek(start)
            data = handle.read(max_bytes)
        end = data.rfind(b"\n") + 1
        if end == 0 and not self._ship_partial(stat.st_size, len(data) >= max_bytes):
            return None
        if end == 0:
            end = len(data)
        self._partial_seen = None
        lines, offset = [], start
        for raw in data[:end].split(b"\n"):
            if raw:
                lines.append((offset, raw.decode("utf-8", errors="replace").rstrip("\r")))
            offset += len(raw) + 1
        return Chunk(self.path, lines, Position(stat.st_ino, start + end))

    def commit(self, position: Position) -> None:
        self.position = position

    def _ship_partial(self, size: int, full: bool) -> bool:
        """An unterminated line is shipped when it fills a read or stopped growing."""
        if full:
            return True
        now = time.monotonic()
        if self._partial_seen is None or self._partial_seen[0] != size:
            self._partial_seen = (size, now)
            return False
        return now - self._partial_seen[1] >= PARTIAL_WAIT_S


def load_positions(path: Path) -> dict[str, Position]:
    """Committed positions by file path; an unreadable file counts as none (re-read)."""
    try:
        raw = orjson.loads(path.read_bytes())
        return {name: Position(**value) for name, value in raw["files"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def save_positions(path: Path, positions: dict[str, Position]) -> None:
    """Write atomically: the old file stays whole until the new one replaces it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    body = {"files": {name: asdict(p) for name, p in positions.items()}}
    temporary.write_bytes(orjson.dumps(body))
    os.replace(temporary, path)
