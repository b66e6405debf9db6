"""The log shipper: every component's log file → VictoriaLogs, losing nothing.

Each round reads what was appended to ``<logs>/*.log`` since the committed positions,
turns the lines into records (:mod:`.formats`; ``component`` is the file's name) and
sends them in one insert; only once VictoriaLogs answered 2xx are the positions
advanced and written (``positions.json``). So a store that is down, or a shipper that
is killed, costs a delay and never a record: the files are the buffer, and the next
round sends from the last committed position.

A store killed outright loses what it acknowledged but had not yet written to disk
(``-inmemoryDataFlushInterval``, 1 s here). The shipper keeps snapshots of its
positions (``history.json``); when the store's start time changes, it goes back to the
snapshot from :data:`REWIND_S` before the restart and sends those records again. The
copies that were stored already carry the same ``line`` and are merged by readers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import orjson

from satmon.clients.victorialogs import LogStoreUnavailable, VictoriaLogs
from satmon.logship.formats import group_lines
from satmon.logship.tailer import FileTail, Position, load_positions, save_positions

log = logging.getLogger(__name__)

READ_BYTES = 1 << 20  # per file and round
BATCH_BYTES = 4 << 20  # per insert
REWIND_S = 10.0
HISTORY_S = 120.0
SNAPSHOT_EVERY_S = 1.0
STORE_CHECK_S = 5.0
BACKOFF_S = (0.5, 1.0, 2.0, 5.0)


class Shipper:
    def __init__(
        self, logs_dir: Path, store: VictoriaLogs, state_dir: Path, poll_s: float = 0.1
    ) -> None:
        self.logs_dir = logs_dir
        self.store = store
        self.state_dir = state_dir
        self.poll_s = poll_s
        self.positions_file = state_dir / "positions.json"
        self.history_file = state_dir / "history.json"
        self.status_file = state_dir / "status.json"
        state_dir.mkdir(parents=True, exist_ok=True)
        self.positions = load_positions(self.positions_file)
        self.tails: dict[str, FileTail] = {}
        self.history: deque[tuple[float, dict[str, Position]]] = deque()
        self.store_started: float | None = None
        self.failures = 0
        self.shipped = 0
        self._down_since: float | None = None
        self._last_stored: float | None = None  # epoch s of the last insert answered 2xx
        self._next_store_check = 0.0
        self._load_history()

    def run(self, stop: threading.Event) -> None:
        """Ship until ``stop``; a last round after it, so nothing written before is left."""
        while not stop.is_set():
            sent = self._round()
            self._write_status()
            if sent == 0:
                stop.wait(self.poll_s if self.failures == 0 else self._backoff())
        self._round()
        self._write_status()

    def ship_once(self) -> int:
        """One round: records stored (0 when there was nothing new). Raises
        LogStoreUnavailable with the positions left where they were."""
        chunks, body, count = [], bytearray(), 0
        now = datetime.now(UTC)
        for path in sorted(self.logs_dir.glob("*.log")):
            chunk = self._tail(path).read(READ_BYTES)
            if chunk is None:
                continue
            chunks.append(chunk)
            source = f"{chunk.after.inode:x}"
            for record in group_lines(chunk.lines, now, source):
                record["component"] = path.stem
                body += orjson.dumps(record, default=str) + b"\n"
                count += 1
            if len(body) >= BATCH_BYTES:
                break
        if not chunks:
            return 0
        if body:
            self.store.insert(bytes(body))
            self._last_stored = time.time()
        for chunk in chunks:
            self._tail(chunk.path).commit(chunk.after)
            self.positions[str(chunk.path)] = chunk.after
        save_positions(self.positions_file, self.positions)
        self._snapshot()
        return count

    def _round(self) -> int:
        try:
            self._check_store()
            sent = self.ship_once()
        except LogStoreUnavailable as exc:
            self.failures += 1
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.warning("VictoriaLogs unavailable, holding records in the files: %s", exc)
            self._next_store_check = 0.0  # look for a restart as soon as it answers
            return 0
        if self._down_since is not None:
            log.warning(
                "VictoriaLogs back after %.1f s; sending what was held",
                time.monotonic() - self._down_since,
            )
            self._down_since = None
        self.failures = 0
        self.shipped += sent
        return sent

    def _check_store(self) -> None:
        """Go back :data:`REWIND_S` before a restart of the store (see the module doc)."""
        if time.monotonic() < self._next_store_check:
            return
        started = self.store.started_at()
        self._next_store_check = time.monotonic() + STORE_CHECK_S
        if started is None or started == self.store_started:
            return
        previous, self.store_started = self.store_started, started
        self._save_history()
        if previous is None:
            return
        # the old store's last acknowledgements may be lost, and after an outage they
        # came well before the new start: go back from whichever is earlier
        last_seen_up = min(started, self._last_stored or started)
        target = self._positions_before(last_seen_up - REWIND_S)
        if target is None:
            log.warning("VictoriaLogs restarted before this shipper kept any positions")
            return
        rewound = {}
        for name, now in self.positions.items():
            before = target.get(name)
            if before is None or before.inode != now.inode:
                before = Position(now.inode, 0)  # first read after the snapshot
            if before.offset < now.offset:
                rewound[name] = before
        if not rewound:
            return
        log.warning(
            "VictoriaLogs restarted; sending again the records of the %.0f s before it (%d files)",
            REWIND_S,
            len(rewound),
        )
        for name, pos in rewound.items():
            self.positions[name] = pos
            self._tail(Path(name)).commit(pos)
        save_positions(self.positions_file, self.positions)

    def _positions_before(self, moment: float) -> dict[str, Position] | None:
        """The newest snapshot from before ``moment`` (else the oldest one kept)."""
        older = [snap for when, snap in self.history if when <= moment]
        if older:
            return older[-1]
        return self.history[0][1] if self.history else None

    def _snapshot(self) -> None:
        now = time.time()
        if self.history and now - self.history[-1][0] < SNAPSHOT_EVERY_S:
            return
        self.history.append((now, dict(self.positions)))
        while self.history and now - self.history[0][0] > HISTORY_S:
            self.history.popleft()
        if int(now) % 5 == 0:
            self._save_history()

    def _tail(self, path: Path) -> FileTail:
        key = str(path)
        if key not in self.tails:
            self.tails[key] = FileTail(path, self.positions.get(key))
        return self.tails[key]

    def _backoff(self) -> float:
        return BACKOFF_S[min(self.failures, len(BACKOFF_S)) - 1]

    def _load_history(self) -> None:
        try:
            raw = orjson.loads(self.history_file.read_bytes())
            self.store_started = raw.get("store_started")
            for when, files in raw.get("snapshots", []):
                self.history.append((when, {k: Position(**v) for k, v in files.items()}))
        except (OSError, ValueError, TypeError, AttributeError):
            self.history.clear()

    def _save_history(self) -> None:
        snapshots = [
            [when, {k: {"inode": p.inode, "offset": p.offset} for k, p in files.items()}]
            for when, files in self.history
        ]
        body = {"store_started": self.store_started, "snapshots": snapshots}
        temporary = self.history_file.with_suffix(".tmp")
        temporary.write_bytes(orjson.dumps(body))
        temporary.replace(self.history_file)

    def _write_status(self) -> None:
        """What the launcher's health probe reads: alive, and whether the store answers."""
        now = time.time()
        if self.status_file.exists() and now - self.status_file.stat().st_mtime < 1.0:
            return
        status = {
            "alive": now,
            "store_ok": self.failures == 0,
            "shipped": self.shipped,
            "down_for_s": None
            if self._down_since is None
            else round(time.monotonic() - self._down_since, 1),
        }
        self.status_file.write_bytes(orjson.dumps(status))
