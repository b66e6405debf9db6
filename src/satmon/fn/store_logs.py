"""``satmon fn logs`` from the log store: a function's newest records in VictoriaLogs.

The store is read when this run folder's stack runs it and its shipper (so the
function's file is being shipped there): it keeps what the file lost to a truncation
and answers without reading the file back. Otherwise, or when it holds nothing of the
function, the command reads the file (:mod:`satmon.fn.logs`). Either way a JSON record
is printed as one readable line (:func:`render`), the same for both sources.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from satmon.clients.logsql import LogFilter, to_logsql
from satmon.clients.victorialogs import LogStoreUnavailable, VictoriaLogs, fields_of
from satmon.settings import Settings
from satmon.stack.victorialogs import shipper_healthy

CORE = ("time", "level", "component", "logger", "message", "exception", "stack", "line")
"""Fields printed in their own places (``line`` is the shipper's, not the record's)."""


def open_store(settings: Settings) -> VictoriaLogs | None:
    """A client of the stack's VictoriaLogs when it and the shipper run; else None."""
    if not shipper_healthy(settings):
        return None
    client = VictoriaLogs(settings.logs_url, timeout=5.0)
    if client.healthy():
        return client
    client.close()
    return None


def newest_lines(store: VictoriaLogs, name: str, count: int) -> list[str] | None:
    """The function's newest ``count`` records, oldest first; None if the store has none
    of them or cannot answer (the caller reads the file then)."""
    if count <= 0:
        return []
    try:
        rows = store.query(_of(name), limit=count)
    except LogStoreUnavailable:
        return None
    return [render(fields_of(row)) for row in reversed(rows)] or None


def follow_store(store: VictoriaLogs, name: str, emit: Callable[[str], None]) -> None:
    """Emit each new record of the function as the store receives it (about a second
    after it is written), until Ctrl-C or the store goes away (LogStoreUnavailable)."""
    for row in store.tail(_of(name)):
        emit(render(fields_of(row)))


def render_line(line: str) -> str:
    """A log file's line as printed: a JSON record rendered, anything else as it is."""
    if not line.startswith("{"):
        return line
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return line
    return render(record) if isinstance(record, dict) and "message" in record else line


def render(record: Mapping[str, Any]) -> str:
    """``time LEVEL logger: message [key=value …]``, a traceback below it."""
    logger = record.get("logger") or record.get("component", "")
    head = f"{record.get('time', '')} {str(record.get('level', '')).upper()} {logger}: "
    head += str(record.get("message", ""))
    extra = " ".join(f"{k}={v}" for k, v in record.items() if k not in CORE)
    if extra:
        head += f" [{extra}]"
    below = [str(record[k]) for k in ("exception", "stack") if record.get(k)]
    return "\n".join([head, *below])


def _of(name: str) -> str:
    return to_logsql(LogFilter(components=(name,)))
