"""Logging for every satmon process: one call, ``configure_logging(component)``.

Each record is one JSON object per line — ``time`` (RFC 3339, UTC, µs), ``level``
(debug | info | warning | error | critical), ``component``, ``logger``, ``message``, the
ids that tie records together (:data:`ID_FIELDS`: ``event_id`` the CloudEvent id,
``job_id``, ``satellite``, ``request_id``, ``alarm_id``), any other ``extra={...}`` field, and
``exception`` with the traceback — whenever the output is not a terminal: that is how
the launcher runs every component (its output appended to ``.satmon/logs/<name>.log``,
which the log shipper sends to VictoriaLogs). A terminal (``make run``, a command run
by hand) gets the human-readable line instead, ids appended.

Environment: ``SATMON_LOG_FORMAT=json|text`` forces a format, ``SATMON_LOG_LEVEL`` sets
the level (``off``: no records at all), ``SATMON_LOG_COMPONENT`` names the component
when the process cannot know it (two dispatchers run the same command).

Ids in scope: ``with log_ids(job_id=...):`` adds them to every record logged inside
(a context variable: per thread and per asyncio task, so concurrent requests keep
their own).
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import orjson

ID_FIELDS = ("event_id", "job_id", "satellite", "request_id", "alarm_id")
"""The ids a record may carry, by these names, in the file and in the store."""
LEVELS = ("debug", "info", "warning", "error", "critical")
NOISY = ("httpx", "httpcore", "urllib3", "asyncio", "multipart")
"""Libraries whose INFO records are one per request: WARNING and up only."""
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_ids: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("satmon_log_ids")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_MARK = "_satmon_handler"


def configure_logging(
    component: str,
    *,
    level: str | None = None,
    fmt: str | None = None,
    stream: TextIO | None = None,
    file: Path | None = None,
) -> None:
    """Set the root logger up for this process (again: earlier satmon handlers are replaced).

    ``stream`` (default stderr) gets JSON or text as above; ``file``, when given, gets
    JSON lines as well (the launcher's own records in ``.satmon/logs/launcher.log``).
    """
    component = os.environ.get("SATMON_LOG_COMPONENT") or component
    chosen = (level or os.environ.get("SATMON_LOG_LEVEL") or "INFO").upper()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    if chosen == "OFF":
        logging.disable(logging.CRITICAL)
        return
    logging.disable(logging.NOTSET)
    out = stream or sys.stderr
    console = logging.StreamHandler(out)
    console.setFormatter(_formatter(component, fmt, out))
    handlers: list[logging.Handler] = [console]
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(file, encoding="utf-8"))
        handlers[-1].setFormatter(JsonFormatter(component))
    for handler in handlers:
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    root.setLevel(chosen)
    logging.captureWarnings(True)  # warnings.warn(...) as records too, not bare stderr lines
    for name in NOISY:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def file_logger(name: str, component: str, path: Path) -> logging.Logger:
    """A logger whose records go only to ``path``, as JSON lines (not to the console):
    for what a command already prints in its own way (the launcher's messages)."""
    logger = logging.getLogger(name)
    if not any(getattr(h, _MARK, None) == str(path) for h in logger.handlers):
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(JsonFormatter(component))
        setattr(handler, _MARK, str(path))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def formatter_for(stream: TextIO, component: str | None = None) -> logging.Formatter:
    """The formatter this process's ``configure_logging`` chose for ``stream``: for
    libraries that install handlers of their own (gunicorn)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, _MARK, False) and handler.formatter is not None:
            return handler.formatter
    return _formatter(component or "satmon", None, stream)


@contextmanager
def log_ids(**ids: str | None) -> Iterator[None]:
    """Every record logged inside carries ``ids`` (those given as None are left out)."""
    token = bind_ids(**ids)
    try:
        yield
    finally:
        _ids.reset(token)


def bind_ids(**ids: str | None) -> contextvars.Token[Mapping[str, str]]:
    """Add ``ids`` to the current context; undo with ``unbind_ids(token)``."""
    merged = {**_ids.get({}), **{k: str(v) for k, v in ids.items() if v is not None}}
    return _ids.set(merged)


def unbind_ids(token: contextvars.Token[Mapping[str, str]]) -> None:
    _ids.reset(token)


def current_ids() -> Mapping[str, str]:
    return _ids.get({})


def logging_enabled() -> bool:
    """False when ``SATMON_LOG_LEVEL=off`` switched logging off in this process."""
    return logging.root.manager.disable < logging.CRITICAL


class JsonFormatter(logging.Formatter):
    """One JSON object per record (the fields in this module's docstring)."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": _rfc3339(record.created),
            "level": _level(record.levelno),
            "component": self.component,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(_ids.get({}))
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(out, default=str).decode()


class TextFormatter(logging.Formatter):
    """The human-readable line, with the record's ids and extra fields appended."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {**_ids.get({})}
        fields.update(
            (k, v)
            for k, v in record.__dict__.items()
            if k not in _STANDARD and not k.startswith("_")
        )
        if not fields:
            return line
        suffix = " ".join(f"{k}={v}" for k, v in fields.items())
        head, sep, rest = line.partition("\n")  # a traceback stays below the ids
        return f"{head} [{suffix}]{sep}{rest}"


def _formatter(component: str, fmt: str | None, stream: TextIO) -> logging.Formatter:
    chosen = (fmt or os.environ.get("SATMON_LOG_FORMAT") or "").lower()
    if chosen not in ("json", "text"):
        isatty = getattr(stream, "isatty", None)
        chosen = "text" if isatty is not None and isatty() else "json"
    return JsonFormatter(component) if chosen == "json" else TextFormatter()


def _level(levelno: int) -> str:
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def _rfc3339(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="microseconds")[:-6] + "Z"
