"""The queued rows of submitted jobs, written to PostgreSQL in groups.

A submit waits until its job shows as queued, but the rows of the submits that arrive
while one write runs go together in the next: one transaction for many jobs instead
of a transaction (and a thread hop) each. Kafka already has every job here, so a write
that fails loses nothing: the result store records the same rows from the events. For
the same reason a write does not wait for PostgreSQL's WAL flush (``durable=False``):
the row is visible to every reader before the 202, only a PostgreSQL crash could lose it,
and then the result store writes it again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool

from satmon.api.problems import Unavailable
from satmon.errors import TransientError
from satmon.store.results import upsert_rows

log = logging.getLogger(__name__)


class QueuedRows:
    def __init__(self, db: Any) -> None:
        self.db = db
        self._pending: list[tuple[tuple[Any, ...], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, row: tuple[Any, ...]) -> None:
        """Return once ``row`` is written (or its write failed and was logged)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await asyncio.shield(done)

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                rows = [row for row, _ in batch]
                await run_in_threadpool(upsert_rows, self.db, rows, durable=False)
            except (TransientError, Unavailable) as exc:
                log.warning("%d queued rows wait for the result store: %s", len(batch), exc)
            except Exception:
                log.exception("writing %d queued rows failed", len(batch))
            for _, done in batch:
                if not done.done():
                    done.set_result(None)
