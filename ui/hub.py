"""The dashboard's one live-data task per process, and what pages subscribe to.

:class:`LiveHub` follows ``GET /api/v1/stream/telemetry`` (every satellite) for as long
as the process runs, keeps each satellite's latest sample and its last minutes, and
fires :attr:`LiveHub.sample` for every sample. Pages subscribe to these NiceGUI events
(unsubscribed when their client goes away); no page polls the API on its own. Slower
facts (the fleet, the limits) are re-read every ``directory_every_s`` by the same hub,
and :class:`Watch` shares one poll of an endpoint among all pages that show it, only
while somebody does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from nicegui import Event

from ui.api_client import ApiClient, ApiError
from ui.limits import LimitTable
from ui.log_tail import LogTail
from ui.sse import events

log = logging.getLogger(__name__)
RECENT_POINTS = 900
"""Samples kept per satellite (15 min at 1 Hz): the live page's initial window."""


@dataclass
class Sample:
    satellite: str
    ts_ms: int
    values: dict[str, float]
    received_s: float  # wall clock when the hub got it

    @classmethod
    def from_event(cls, data: str) -> Sample:
        body = orjson.loads(data)
        stamp = datetime.fromisoformat(str(body.pop("timestamp")).replace("Z", "+00:00"))
        satellite = str(body.pop("satellite_id"))
        values = {k: float(v) for k, v in body.items() if isinstance(v, int | float)}
        return cls(satellite, int(stamp.timestamp() * 1000), values, time.time())


@dataclass
class FeedStatus:
    state: str = "connecting"  # connecting | live | down
    detail: str = "connecting to the API's telemetry stream"
    since_s: float = field(default_factory=time.time)
    received: int = 0
    dropped: int = 0


class LiveHub:
    def __init__(
        self, api: ApiClient, directory_every_s: float = 30.0, reconnect_max_s: float = 10.0
    ) -> None:
        self.api = api
        self.directory_every_s = directory_every_s
        self.reconnect_max_s = reconnect_max_s
        self.latest: dict[str, Sample] = {}
        self.recent: dict[str, deque[Sample]] = {}
        self.fleet: dict[str, dict[str, Any]] = {}
        self.limits = LimitTable()
        self.limits_note: str | None = "limits not read yet"
        self.status = FeedStatus()
        self.sample: Event[Sample] = Event()
        self.status_changed: Event[FeedStatus] = Event()
        self.directory_changed: Event[[]] = Event()
        self.tick: Event[float] = Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._watches: dict[str, Watch] = {}
        self._tails: dict[str, LogTail] = {}

    @property
    def satellites(self) -> list[str]:
        return sorted(set(self.fleet) | set(self.latest))

    def start(self) -> None:
        for job in (self._follow(), self._directory(), self._ticks()):
            self._tasks.append(asyncio.create_task(job))

    async def stop(self) -> None:
        for watch in self._watches.values():
            watch.stop()
        for tail in self._tails.values():
            tail.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def watch(self, path: str, every_s: float, params: dict[str, Any] | None = None) -> Watch:
        """The shared poll of ``path``: one per process, running only while subscribed."""
        key = path + "?" + orjson.dumps(params or {}, option=orjson.OPT_SORT_KEYS).decode()
        if key not in self._watches:
            self._watches[key] = Watch(self.api, path, params or {}, every_s)
        return self._watches[key]

    def log_tail(self, filters: dict[str, Any]) -> LogTail:
        """The shared follower of ``/logs/tail`` for ``filters``: one per process."""
        key = LogTail.key(filters)
        if key not in self._tails:
            self._tails = {k: t for k, t in self._tails.items() if t.record.callbacks}
            self._tails[key] = LogTail(self.api, filters, self.reconnect_max_s)
        return self._tails[key]

    def last_minutes(self, satellite: str) -> list[Sample]:
        return list(self.recent.get(satellite, ()))

    # --- the telemetry stream ---------------------------------------------------------
    async def _follow(self) -> None:
        backoff = 0.5
        while True:
            try:
                async with self.api.stream("/stream/telemetry") as lines:
                    self._set_status("connecting", "stream open, waiting for Kafka")
                    backoff = 0.5
                    async for event in events(_with_comments(lines, self)):
                        self._on_event(event.event, event.data)
                self._set_status("down", "the API closed the telemetry stream")
            except asyncio.CancelledError:
                raise
            except ApiError as exc:
                detail = exc.detail
                if exc.missing_route:
                    detail = "this API has no /stream/telemetry yet: live values wait for it"
                self._set_status("down", detail)
            except Exception as exc:  # a broken stream: say so, then reconnect
                self._set_status("down", f"telemetry stream broke: {type(exc).__name__}: {exc}")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.reconnect_max_s)

    def _on_event(self, kind: str, data: str) -> None:
        if kind == "dropped":
            self.status.dropped += int(data or 0)
            return
        if kind != "telemetry":
            return
        try:
            sample = Sample.from_event(data)
        except (ValueError, KeyError, TypeError):
            log.warning("skipped a telemetry event the dashboard cannot read: %.200s", data)
            return
        self.status.received += 1
        if self.status.state != "live":
            self._set_status("live", "following the API's telemetry stream")
        self.latest[sample.satellite] = sample
        self.recent.setdefault(sample.satellite, deque(maxlen=RECENT_POINTS)).append(sample)
        self.sample.emit(sample)

    def _set_status(self, state: str, detail: str) -> None:
        if (state, detail) == (self.status.state, self.status.detail):
            return
        self.status.state, self.status.detail, self.status.since_s = state, detail, time.time()
        log.info("live feed %s: %s", state, detail)
        self.status_changed.emit(self.status)

    # --- slower facts -----------------------------------------------------------------
    async def _directory(self) -> None:
        while True:
            await self.refresh_directory()
            await asyncio.sleep(self.directory_every_s)

    async def refresh_directory(self) -> None:
        """The fleet (``/trends/satellites``) and the limits (``/limits``)."""
        try:
            rows = await self.api.get("/trends/satellites")
            self.fleet = {str(r["id"]): r for r in rows if isinstance(r, dict) and "id" in r}
        except ApiError as exc:
            log.info("fleet not read: %s", exc)
        try:
            self.limits = LimitTable.parse(await self.api.get("/limits"))
            self.limits_note = None
        except ApiError as exc:
            self.limits_note = (
                "this API serves no limits yet (GET /api/v1/limits)"
                if exc.missing_route
                else f"limits not read: {exc.detail}"
            )
        self.directory_changed.emit()

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.tick.emit(time.time())


async def _with_comments(lines: Any, hub: LiveHub) -> Any:
    """Pass lines on; the stream's ``: live`` comment means the API's follower is live."""
    async for line in lines:
        if line.startswith(": live"):
            hub._set_status("live", "following the API's telemetry stream")
        yield line


class Watch:
    """One poll of an endpoint shared by every page showing it; idle without subscribers."""

    def __init__(self, api: ApiClient, path: str, params: dict[str, Any], every_s: float) -> None:
        self.api, self.path, self.params, self.every_s = api, path, params, every_s
        self.changed: Event[Any] = Event()
        self.value: Any = None
        self.error: ApiError | None = None
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, callback: Any) -> None:
        self.changed.subscribe(callback)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def refresh(self) -> Any:
        try:
            value = await self.api.get(self.path, self.params)
            self.error = None
        except ApiError as exc:
            value, self.error = None, exc
        if value != self.value or self.error is not None:
            self.value = value
            self.changed.emit(value)
        return value

    async def _run(self) -> None:
        while self.changed.callbacks:
            await self.refresh()
            await asyncio.sleep(self.every_s)
