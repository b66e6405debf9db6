"""Remember accepted (source, id) pairs so that a re-sent event is a no-op.

Two layers: a bounded in-memory LRU (fast path, lost on restart) in front of a
PostgreSQL table ``ingress_dedupe`` (survives restarts, shared by replicas, pruned
after a TTL). The table is an optimisation, not a safety net: every consumer behind
the ingress is idempotent, so when PostgreSQL is unreachable the ingress fails open
(logs a warning, relies on the LRU) instead of refusing events.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Protocol

log = logging.getLogger(__name__)

Key = tuple[str, str]
"""(source, id)"""


class Dedupe(Protocol):
    def seen(self, keys: Iterable[Key]) -> set[Key]: ...

    def remember(self, keys: Iterable[Key]) -> None: ...


class MemoryDedupe:
    """Bounded LRU of recently accepted keys (thread-safe)."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[Key, None] = OrderedDict()
        self._lock = threading.Lock()

    def seen(self, keys: Iterable[Key]) -> set[Key]:
        with self._lock:
            hits = {k for k in keys if k in self._keys}
            for k in hits:
                self._keys.move_to_end(k)
        return hits

    def remember(self, keys: Iterable[Key]) -> None:
        with self._lock:
            for k in keys:
                self._keys[k] = None
                self._keys.move_to_end(k)
            while len(self._keys) > self.capacity:
                self._keys.popitem(last=False)


class PostgresDedupe:
    """LRU in front of the ``ingress_dedupe`` table; fails open when PostgreSQL is down."""

    def __init__(
        self,
        get_pool: Callable[[], Any],
        ttl_s: float = 86_400.0,
        memory: MemoryDedupe | None = None,
        prune_every_s: float = 60.0,
        timeout_s: float = 2.0,
        pause_s: float = 30.0,
    ) -> None:
        self.get_pool = get_pool
        self.ttl_s = ttl_s
        self.memory = memory or MemoryDedupe()
        self.prune_every_s = prune_every_s
        self.timeout_s = timeout_s
        self.pause_s = pause_s
        self._last_prune = 0.0
        self._down_until = 0.0

    def seen(self, keys: Iterable[Key]) -> set[Key]:
        keys = list(keys)
        hits = self.memory.seen(keys)
        rest = [k for k in keys if k not in hits]
        if not rest:
            return hits
        if time.monotonic() < self._down_until:
            return hits
        try:
            with self.get_pool().connection(timeout=self.timeout_s) as conn:
                rows = conn.execute(
                    "SELECT d.source, d.event_id FROM ingress_dedupe d"
                    " JOIN unnest(%s::text[], %s::text[]) AS k(source, event_id)"
                    " USING (source, event_id)"
                    " WHERE d.accepted_at > now() - make_interval(secs => %s)",
                    ([k[0] for k in rest], [k[1] for k in rest], self.ttl_s),
                ).fetchall()
        except Exception as exc:  # fail open: consumers are idempotent anyway
            self._pause("lookup", exc)
            return hits
        found = {(r[0], r[1]) for r in rows}
        self.memory.remember(found)
        return hits | found

    def remember(self, keys: Iterable[Key]) -> None:
        keys = list(keys)
        self.memory.remember(keys)
        if not keys or time.monotonic() < self._down_until:
            return
        try:
            with self.get_pool().connection(timeout=self.timeout_s) as conn:
                conn.execute(
                    "INSERT INTO ingress_dedupe (source, event_id)"
                    " SELECT DISTINCT * FROM unnest(%s::text[], %s::text[])"
                    " ON CONFLICT (source, event_id) DO UPDATE SET accepted_at = now()",
                    ([k[0] for k in keys], [k[1] for k in keys]),
                )
                self._maybe_prune(conn)
        except Exception as exc:
            self._pause("insert", exc)

    def _pause(self, what: str, exc: Exception) -> None:
        """Leave PostgreSQL alone for ``pause_s`` so requests do not queue on its timeouts."""
        self._down_until = time.monotonic() + self.pause_s
        log.warning("dedupe %s failed, memory only for %.0f s: %s", what, self.pause_s, exc)

    def _maybe_prune(self, conn: Any) -> None:
        now = time.monotonic()
        if now - self._last_prune < self.prune_every_s:
            return
        self._last_prune = now
        conn.execute(
            "DELETE FROM ingress_dedupe WHERE accepted_at < now() - make_interval(secs => %s)",
            (self.ttl_s,),
        )
