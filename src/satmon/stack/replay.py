"""Redeliver from Kafka what a crashed store may have acknowledged but not kept.

VictoriaMetrics answers an import once the samples are in memory and writes them to
disk a few seconds later: a ``kill -9`` of the 1.79 server here lost samples whose
import had been acknowledged 0.1–7.5 s before (8–12 s before, they were kept). The
dispatcher has committed those offsets by then, so Kafka would never deliver them
again. The supervisor therefore samples the committed offsets of the consumer groups
that write into such a store every few seconds; when the store comes back after
a crash, it stops the dispatcher, moves those groups back to where they stood
``window_s`` before the crash, and starts the dispatcher again. Redelivered samples are
harmless: the store keeps one sample per series and millisecond.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from satmon.stack.kafka_admin import IsolatedAdmin, KafkaAdminUnavailable, Offsets

log = logging.getLogger(__name__)
GroupOffsets = dict[str, Offsets]  # consumer group → its committed offsets


class OffsetHistory:
    """The committed offsets of some groups (group → topics), every ``every_s`` for ``keep_s``."""

    def __init__(
        self,
        admin: IsolatedAdmin,
        groups: dict[str, list[str]],
        keep_s: float,
        every_s: float = 3.0,
    ) -> None:
        self.admin = admin
        self.groups = groups
        self.keep_s = keep_s
        self.every_s = every_s
        self._samples: deque[tuple[float, GroupOffsets]] = deque()
        self._lock = threading.Lock()

    def run(self, stop: threading.Event, kafka_up: Callable[[], bool]) -> None:
        while self.groups and not stop.wait(self.every_s):
            if not kafka_up():
                continue
            try:
                sample = {g: self.admin.committed(g, t) for g, t in self.groups.items()}
            except KafkaAdminUnavailable as exc:
                log.debug("offset sample skipped: %s", exc)
                continue
            now = time.time()
            with self._lock:
                self._samples.append((now, sample))
                while self._samples and self._samples[0][0] < now - self.keep_s:
                    self._samples.popleft()

    def at(self, when: float) -> GroupOffsets | None:
        """The newest sample taken at or before ``when``; else the oldest there is."""
        with self._lock:
            older = [sample for at, sample in self._samples if at <= when]
            if older:
                return older[-1]
            return self._samples[0][1] if self._samples else None


def rewind(
    admin: IsolatedAdmin,
    groups: dict[str, list[str]],
    targets: GroupOffsets,
    say: Callable[[str], None],
    timeout_s: float = 30.0,
) -> int:
    """Move each group back to ``targets`` (never forward); the events to redeliver.

    Kafka sets the offsets only of a group without members: a dispatcher that was just
    stopped has left its group, a killed one leaves it when its session times out.
    """
    replayed = 0
    for group, topics in groups.items():
        current = admin.committed(group, topics)
        wanted = targets.get(group, {})
        moves = {k: o for k, o in wanted.items() if k in current and o < current[k]}
        if not moves:
            continue
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                admin.commit(group, moves)
                break
            except KafkaAdminUnavailable as exc:
                if time.monotonic() > deadline:
                    raise
                log.info("group %s refused the offsets (%s); retrying", group, exc)
                time.sleep(1.0)
        replayed += sum(current[k] - o for k, o in moves.items())
        say(f"{group}: {len(moves)} partition(s) moved back")
    return replayed
