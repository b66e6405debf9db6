"""Server-sent events, parsed line by line (the subset the API's stream uses)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field


@dataclass
class ServerEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None


@dataclass
class EventParser:
    """Feed lines; a blank line completes an event. Comments (``:``) are ignored."""

    _event: str = "message"
    _data: list[str] = field(default_factory=list)
    _id: str | None = None

    def feed(self, line: str) -> ServerEvent | None:
        if line == "":
            if not self._data:
                self._event = "message"
                return None
            done = ServerEvent(self._event, "\n".join(self._data), self._id)
            self._event, self._data = "message", []
            return done
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
        return None


async def events(lines: AsyncIterator[str]) -> AsyncIterator[ServerEvent]:
    parser = EventParser()
    async for line in lines:
        done = parser.feed(line.rstrip("\r"))
        if done is not None:
            yield done
