"""Spread a subscription's deliveries out in time (``satmon.io/max-events-per-second``).

A unit of ``n`` events takes the next free slot on a timeline that advances ``n / rate``
seconds per unit: deliveries never run ahead of the rate, however many workers share
it, and an idle subscription does not save up a burst. On one host this keeps
background work (the minute's forecast jobs) from taking both cores at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        events_per_second: float,
        wait: Callable[[float], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``wait(seconds)`` sleeps and returns True when it was interrupted (a stop)."""
        if not events_per_second > 0:
            raise ValueError("events_per_second must be > 0")
        self.rate = events_per_second
        self._wait = wait
        self._clock = clock
        self._lock = threading.Lock()
        self._next = 0.0  # when the next unit may start

    def admit(self, n: int) -> bool:
        """Wait for this unit's slot; False if the wait was interrupted."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + n / self.rate
        delay = start - now
        return delay <= 0 or not self._wait(delay)
