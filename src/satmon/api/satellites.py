"""Which satellites exist: the ids VictoriaMetrics holds samples for, cached briefly.

A satellite id from a request is first held against the contract's pattern, then
against this list, and only then used in a query (as a quoted label value).
"""

from __future__ import annotations

import asyncio
import re
import time

from satmon.api.problems import Problem
from satmon.api.upstream.vm import VictoriaMetricsReader
from satmon.contract.events import METRIC_PREFIX, SATELLITE_ID_PATTERN

_VALID = re.compile(SATELLITE_ID_PATTERN)
PRESENCE_METRIC = METRIC_PREFIX + "altitude"
"""Every telemetry sample writes all seven metrics; one is enough to list satellites."""
MIN_REFRESH_S = 1.0
"""An unknown id refreshes the list at most this often (a new satellite shows fast)."""
NAMED_IN_ERRORS = 20


class SatelliteDirectory:
    def __init__(self, vm: VictoriaMetricsReader, ttl_s: float, lookback_s: float) -> None:
        self.vm = vm
        self.ttl_s = ttl_s
        self.lookback_s = lookback_s
        self._ids: frozenset[str] = frozenset()
        self.first_seen: dict[str, float] = {}
        """Each satellite's first sample (s), kept once known: it never moves."""
        self.last_seen: dict[str, float] = {}
        """Each satellite's last sample (s) as last read."""
        self.looked_back: set[str] = set()
        """Ids whose last sample was looked for over the whole lookback."""
        self.recent: dict[str, tuple[float, float | None, dict[str, float]]] = {}
        """Each satellite's (last seen, cadence, latest values), read at that last seen."""
        self.recent_lock = asyncio.Lock()
        self._fetched = float("-inf")
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Future[frozenset[str]] | None = None

    async def known(self, max_age_s: float | None = None) -> frozenset[str]:
        """Satellite ids seen within the lookback, at most ``max_age_s`` (default ttl) old."""
        max_age = self.ttl_s if max_age_s is None else max_age_s
        if time.monotonic() - self._fetched > max_age:
            async with self._lock:
                if time.monotonic() - self._fetched > max_age:
                    start = time.time() - self.lookback_s
                    values = await self.vm.label_values("satellite_id", PRESENCE_METRIC, start)
                    self._ids = frozenset(values)
                    self._fetched = time.monotonic()
        return self._ids

    async def require(self, satellite: str, field: str = "query.satellite") -> str:
        """``satellite`` when it is a well-formed id VictoriaMetrics knows, else a 422."""
        if len(satellite) > 64 or not _VALID.match(satellite):
            raise Problem(
                422,
                f"{satellite[:80]!r} is not a satellite id: 1–64 letters, digits, '.', '_' "
                "or '-' (e.g. SAT-001)",
                field,
            )
        if satellite in self._ids:  # known: answer now, refresh a stale list behind it
            if time.monotonic() - self._fetched > self.ttl_s and not self._lock.locked():
                self._refresh = asyncio.ensure_future(self.known())
                self._refresh.add_done_callback(_quiet)
            return satellite
        ids = await self.known(max_age_s=MIN_REFRESH_S)
        if satellite not in ids:
            raise Problem(422, unknown_detail(satellite, ids), field)
        return satellite


def _quiet(refresh: asyncio.Future[frozenset[str]]) -> None:
    """A background refresh that failed: the next request that needs it tries again."""
    if not refresh.cancelled():
        refresh.exception()


def unknown_detail(satellite: str, ids: frozenset[str]) -> str:
    named = sorted(ids)[:NAMED_IN_ERRORS]
    more = f" and {len(ids) - len(named)} more" if len(ids) > len(named) else ""
    known = ", ".join(named) + more if named else "none yet (no telemetry stored)"
    listing = "GET /api/v1/trends/satellites lists them"
    return f"unknown satellite {satellite!r}; known: {known} ({listing})"
