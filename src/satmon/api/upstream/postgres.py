"""PostgreSQL for the API: one connection pool per process, migrations once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from satmon.api.problems import Unavailable
from satmon.settings import Settings
from satmon.store import migrate

log = logging.getLogger(__name__)
NAME = "PostgreSQL"


class Database:
    """A psycopg pool (autocommit) whose failures are 503s; migrates before first use."""

    def __init__(self, settings: Settings) -> None:
        self.timeout_s = settings.api_dependency_timeout_s
        self.pool = ConnectionPool(
            settings.pg_dsn,
            min_size=1,
            max_size=settings.api_pg_pool_size,
            open=False,
            timeout=self.timeout_s,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(self.timeout_s))},
            name="satmon-api",
        )
        self._migrated = False
        self._lock = threading.Lock()

    def open(self) -> None:
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close(timeout=5.0)

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A pooled connection; PostgreSQL unreachable or failing → :class:`Unavailable`."""
        try:
            with self.pool.connection() as conn:
                if not self._migrated:
                    self._migrate(conn)
                yield conn
        except psycopg.OperationalError as exc:
            raise Unavailable(NAME, _first_line(exc)) from exc

    def ping(self) -> str | None:
        """None when PostgreSQL answers ``SELECT 1``, else why not."""
        try:
            with self.connection() as conn:
                conn.execute("SELECT 1")
        except Unavailable as exc:
            return exc.reason
        return None

    def _migrate(self, conn: Any) -> None:
        with self._lock:
            if not self._migrated:
                migrate(conn)
                self._migrated = True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
