"""Lines of the components' log files → uniform records (time, level, message, fields).

satmon's own processes write JSON lines (``satmon.logconfig``) and so does Kafka (its
log4j2 layout in ``stack/kafka``). The other servers keep their own text formats,
recognised here so that their records get a time and a level too: PostgreSQL's
stderr prefix, Triton's glog lines, VictoriaMetrics' tab-separated lines,
librdkafka's ``%level|time|facility|name|`` lines, Python's and uvicorn's plain
formats, gunicorn's. A line in none of these formats is kept whole as the message.
Levels are one of ``satmon.logconfig.LEVELS``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

Record = dict[str, Any]
PLAIN = "_plain"
"""Marks a record made of a line in no known format (dropped before shipping)."""
MAX_MESSAGE = 32_768
TRACEBACK = "Traceback (most recent call last):"

_LEVEL_WORDS = {
    "trace": "debug", "debug": "debug", "debug1": "debug", "debug2": "debug",
    "debug3": "debug", "debug4": "debug", "debug5": "debug", "fine": "debug",
    "info": "info", "information": "info", "log": "info", "notice": "info",
    "statement": "info", "detail": "info", "hint": "info", "context": "info",
    "warn": "warning", "warning": "warning",
    "err": "error", "error": "error", "severe": "error",
    "fatal": "critical", "panic": "critical", "critical": "critical", "crit": "critical",
}  # fmt: skip
_GLOG = {"I": "info", "W": "warning", "E": "error", "F": "critical"}
_SYSLOG = ("critical", "critical", "critical", "error", "warning", "info", "info", "debug")
_MSG_KEYS = ("message", "msg", "_msg", "log")
_TIME_KEYS = ("time", "ts", "timestamp", "_time", "@timestamp")


def level_of(word: str) -> str:
    """A level word of any of the formats (``WARN``, ``LOG``, ``E``…) as a satmon level."""
    return _LEVEL_WORDS.get(word.strip().lower(), "info")


def parse_line(line: str, now: datetime) -> Record | None:
    """The record of one line, or None when the line continues the previous record
    (an indented line, a traceback's body, a table drawn over several lines)."""
    if not line.strip():
        return None
    if line.startswith("{"):
        record = _json_record(line, now)
        if record is not None:
            return record
    if line[0] in " \t|+" or line.startswith("Caused by:"):
        return None
    for pattern, build in _TEXT_FORMATS:
        match = pattern.match(line)
        if match:
            return build(match, now)
    return {"time": _iso(now), "level": "info", "message": line, PLAIN: True}


def group_lines(lines: Sequence[tuple[int, str]], now: datetime, source: str) -> list[Record]:
    """The records of ``(offset, line)`` pairs read from one file, continuation lines
    joined to the record they continue (up to :data:`MAX_MESSAGE` characters).

    Each record gets ``line``: ``source`` and the offset of its first line, the same
    every time that line is read, so that a record shipped twice can be told apart.
    """
    records: list[Record] = []
    for offset, line in lines:
        record = parse_line(line, now)
        previous = records[-1] if records else None
        joins = record is None or (
            previous is not None
            and (
                (record.get(PLAIN) and _in_traceback(previous))
                or (_in_traceback(record) and previous["level"] in ("warning", "error", "critical"))
            )
        )
        if joins and previous is not None:
            if len(previous["message"]) < MAX_MESSAGE:
                previous["message"] = (previous["message"] + "\n" + line)[:MAX_MESSAGE]
            continue
        if record is None:
            record = {"time": _iso(now), "level": "info", "message": line}
        record.pop(PLAIN, None)
        record["line"] = f"{source}:{offset}"
        records.append(record)
    return records


def _in_traceback(record: Record) -> bool:
    message = record["message"]
    return isinstance(message, str) and TRACEBACK in message


def _json_record(line: str, now: datetime) -> Record | None:
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    message = next((data.pop(k) for k in _MSG_KEYS if k in data), "")
    when = next((data.pop(k) for k in _TIME_KEYS if k in data), None)
    data["time"] = _normal_time(when, now)
    data["level"] = level_of(str(data.get("level", "info")))
    data["message"] = message if isinstance(message, str) else orjson.dumps(message).decode()
    return data


def _normal_time(value: Any, now: datetime) -> str:
    """An RFC 3339 string kept as given; epoch seconds converted; anything else: now."""
    if isinstance(value, int | float):
        return _iso(datetime.fromtimestamp(value, UTC))
    if isinstance(value, str) and _RFC3339.match(value):
        return value
    return _iso(now)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _local(text: str, fmt: str) -> str:
    """A time written in the machine's local zone without one (Python, glog, Kafka)."""
    return _iso(datetime.strptime(text, fmt).astimezone())


def _postgres(m: re.Match[str], now: datetime) -> Record:
    stamp, zone, pid, level, message = m.groups()
    when = _iso(datetime.strptime(stamp[:26], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC))
    return {
        "time": when if zone == "UTC" else _iso(now),
        "level": level_of(level),
        "message": message,
        "pid": int(pid),
    }


def _glog(m: re.Match[str], now: datetime) -> Record:
    letter, month_day, clock, pid, source, message = m.groups()
    stamp = f"{now.year}{month_day} {clock[:15]}"
    return {
        "time": _local(stamp, "%Y%m%d %H:%M:%S.%f"),
        "level": _GLOG[letter],
        "message": message.strip('"'),
        "source": source,
        "pid": int(pid),
    }


def _vm_text(m: re.Match[str], _now: datetime) -> Record:
    when, level, caller, message = m.groups()
    return {"time": when, "level": level_of(level), "message": message, "caller": caller}


def _librdkafka(m: re.Match[str], _now: datetime) -> Record:
    level, epoch, facility, client, message = m.groups()
    return {
        "time": _iso(datetime.fromtimestamp(float(epoch), UTC)),
        "level": _SYSLOG[min(int(level), 7)],
        "message": message.strip(),
        "facility": facility,
        "client": client,
    }


def _python_text(m: re.Match[str], _now: datetime) -> Record:
    stamp, level, logger, message = m.groups()
    return {
        "time": _local(stamp, "%Y-%m-%d %H:%M:%S,%f"),
        "level": level_of(level),
        "message": message,
        "logger": logger.rstrip(":"),
    }


def _gunicorn(m: re.Match[str], _now: datetime) -> Record:
    stamp, pid, level, message = m.groups()
    when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S %z")
    return {"time": _iso(when), "level": level_of(level), "message": message, "pid": int(pid)}


def _kafka_text(m: re.Match[str], _now: datetime) -> Record:
    stamp, level, message = m.groups()
    when = _local(stamp, "%Y-%m-%d %H:%M:%S,%f")
    return {"time": when, "level": level_of(level), "message": message}


def _banner(m: re.Match[str], _now: datetime) -> Record:
    message, stamp = m.groups()
    when = _local(" ".join(stamp.split()), "%a %b %d %H:%M:%S %Y")
    return {"time": when, "level": "info", "message": message, "logger": "satmon.launcher"}


def _go_log(m: re.Match[str], _now: datetime) -> Record:
    stamp, level, message = m.groups()
    return {
        "time": _local(stamp, "%Y/%m/%d %H:%M:%S"),
        "level": level_of(level),
        "message": message,
    }


def _word_first(m: re.Match[str], now: datetime) -> Record:
    level, message = m.groups()
    return {"time": _iso(now), "level": level_of(level), "message": message}


def _traceback(m: re.Match[str], now: datetime) -> Record:
    return {"time": _iso(now), "level": "error", "message": m.group(0)}


_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")
_TEXT_FORMATS: list[tuple[re.Pattern[str], Callable[[re.Match[str], datetime], Record]]] = [
    (
        re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) (\w+) \[(\d+)\] ([A-Z0-9]+):  (.*)$"),
        _postgres,
    ),
    (re.compile(r"^([IWEF])(\d{4}) (\d\d:\d\d:\d\d\.\d+) +(\d+) ([^\]\s]+)\] ?(.*)$"), _glog),
    (re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z)\t(\w+)\t(\S+)\t(.*)$"), _vm_text),
    (re.compile(r"^%(\d)\|(\d+\.\d+)\|([^|]+)\|([^|]+)\|(.*)$"), _librdkafka),
    (
        re.compile(
            r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
            r"(\S+) (.*)$"
        ),
        _python_text,
    ),
    (
        re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4})\] \[(\d+)\] \[(\w+)\] (.*)$"),
        _gunicorn,
    ),
    (re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\] ([A-Z]+) (.*)$"), _kafka_text),
    (re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL):\s+(.*)$"), _word_first),
    (
        re.compile(r"^==== satmon: (.*) at (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}) ====$"),
        _banner,
    ),
    (re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) ([A-Z]+): (.*)$"), _go_log),
    (re.compile(r"^Traceback \(most recent call last\):$"), _traceback),
]
