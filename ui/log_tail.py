"""One follower of ``GET /api/v1/logs/tail`` per filter, shared by every Logs page that
shows those filters, running only while one does (as :class:`ui.hub.Watch` shares a
poll). The API streams; nothing here polls."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from nicegui import Event

from ui.api_client import ApiClient, ApiError
from ui.sse import events

log = logging.getLogger(__name__)


class LogTail:
    def __init__(self, api: ApiClient, filters: dict[str, Any], reconnect_max_s: float = 10.0):
        self.api, self.filters, self.reconnect_max_s = api, filters, reconnect_max_s
        self.record: Event[dict[str, Any]] = Event()
        self.state_changed: Event[str] = Event()
        self.state = "connecting"
        self.dropped = 0
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def key(filters: dict[str, Any]) -> str:
        return orjson.dumps(filters, option=orjson.OPT_SORT_KEYS).decode()

    def subscribe(self, on_record: Any, on_state: Any) -> None:
        self.record.subscribe(on_record)
        self.state_changed.subscribe(on_state)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _run(self) -> None:
        backoff = 0.5
        while self.record.callbacks:
            try:
                async with self.api.stream("/logs/tail", self.filters) as lines:
                    backoff = 0.5
                    async for event in events(self._watching(lines)):
                        self._on_event(event.event, event.data)
                        if not self.record.callbacks:
                            return
                self._set("down: the API closed the log tail")
            except asyncio.CancelledError:
                raise
            except ApiError as exc:
                self._set(f"down: {exc.detail}")
            except Exception as exc:  # a broken stream: say so, then reconnect
                self._set(f"down: log tail broke ({type(exc).__name__}: {exc})")
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.reconnect_max_s)

    async def _watching(self, lines: Any) -> Any:
        """Lines on; ``: live`` says the tail runs; every line lets an idle tail end."""
        async for line in lines:
            if line.startswith(": live"):
                self._set("live")
            if not self.record.callbacks:
                return
            yield line

    def _on_event(self, kind: str, data: str) -> None:
        if kind == "log":
            self.record.emit(orjson.loads(data))
        elif kind == "dropped":
            self.dropped += int(data or 0)
        elif kind == "error":
            self._set(f"down: {orjson.loads(data).get('detail')}")

    def _set(self, state: str) -> None:
        if state != self.state:
            self.state = state
            log.info("log tail %s: %s", self.filters, state)
            self.state_changed.emit(state)
