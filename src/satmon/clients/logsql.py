"""LogsQL for satmon's log queries, built from values that passed validation.

A :class:`LogFilter` holds what a caller may ask for: words of text, components, a
lowest level, the ids of ``satmon.logconfig.ID_FIELDS``. :func:`validate` refuses
anything outside their character sets with :class:`LogFilterError` naming the field
(the API answers 422), so quotes, pipes, backslashes, wildcards, parentheses or
control characters never reach a query; the values that pass are quoted anyway
(:func:`quote`), and every filter is an exact or phrase match on a named field.
The time range goes to VictoriaLogs as the ``start`` / ``end`` arguments, not as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from satmon.errors import PermanentError

LEVELS = ("debug", "info", "warning", "error", "critical")
TEXT_MAX = 200
TEXT_WORDS_MAX = 10
VALUES_MAX = 20
WORD = re.compile(r"^[\w.:/@,=+#%-]+$")
"""A word of free text: letters, digits and ``_ . : / @ , = + # % -``."""
PATTERNS: dict[str, re.Pattern[str]] = {
    "component": re.compile(r"^[a-z][a-z0-9-]{0,62}$"),
    "event_id": re.compile(r"^[A-Za-z0-9._:/@+=#-]{1,200}$"),
    "job_id": re.compile(r"^[A-Za-z0-9._:-]{1,128}$"),
    "satellite": re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
    "request_id": re.compile(r"^[A-Za-z0-9._:-]{1,128}$"),
    "alarm_id": re.compile(r"^[0-9]{1,19}$"),
}
TRAVERSAL = ".."
"""Refused inside any word or id: a path climbing out of a folder is never a log's id,
and a search for one is a probe, not a question."""
ALLOWED = {
    "component": "lower-case letters, digits and -",
    "event_id": "letters, digits and . _ : / @ + = # -",
    "job_id": "letters, digits and . _ : -",
    "satellite": "letters, digits and . _ -",
    "request_id": "letters, digits and . _ : -",
    "alarm_id": "digits (the alarm's id in GET /api/v1/alarms)",
}


class LogFilterError(PermanentError):
    """A value a log query cannot take; ``field`` names it."""


@dataclass(frozen=True)
class LogFilter:
    text: str | None = None
    components: Sequence[str] = ()
    level: str | None = None  # the lowest level wanted
    ids: dict[str, str] = field(default_factory=dict)  # event_id / job_id / satellite / …


def validate(query: LogFilter) -> LogFilter:
    """``query`` when every value is allowed; else LogFilterError naming the first bad one."""
    if query.text is not None:
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in query.text):
            raise LogFilterError(
                "q: control characters (line breaks, tabs…) cannot be searched for", field="q"
            )
        words = query.text.split()
        if len(query.text) > TEXT_MAX or len(words) > TEXT_WORDS_MAX:
            raise LogFilterError(
                f"q takes at most {TEXT_WORDS_MAX} words and {TEXT_MAX} characters", field="q"
            )
        for word in words:
            if not WORD.match(word) or TRAVERSAL in word:
                raise LogFilterError(
                    f"q: {word[:40]!r} is not a plain word; search text takes letters, digits "
                    "and _ . : / @ , = + # % - separated by spaces (no quotes, pipes, "
                    "backslashes, wildcards, brackets or '..')",
                    field="q",
                )
    if len(query.components) > VALUES_MAX:
        raise LogFilterError(f"at most {VALUES_MAX} components", field="component")
    for value in query.components:
        _check("component", value)
    if query.level is not None and query.level not in LEVELS:
        raise LogFilterError(f"level is one of {', '.join(LEVELS)}", field="level")
    for name, value in query.ids.items():
        if name not in PATTERNS or name == "component":
            raise LogFilterError(f"no log field {name!r} to filter on", field=name)
        _check(name, value)
    return query


def to_logsql(query: LogFilter) -> str:
    """The LogsQL filter text of a validated ``query`` (``*`` when it holds nothing)."""
    validate(query)
    parts: list[str] = []
    if query.components:
        parts.append(f"component:in({', '.join(quote(c) for c in query.components)})")
    if query.level is not None and query.level != LEVELS[0]:
        wanted = LEVELS[LEVELS.index(query.level) :]
        parts.append(f"level:in({', '.join(quote(v) for v in wanted)})")
    for name, value in sorted(query.ids.items()):
        parts.append(f"{name}:={quote(value)}")
    if query.text:
        parts.extend(f"i({quote(word)})" for word in query.text.split())
    return " AND ".join(parts) or "*"


def quote(value: str) -> str:
    """A LogsQL double-quoted string literal of ``value`` (``\\`` and ``"`` escaped;
    control characters refused: no validated value holds any)."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise LogFilterError("control characters cannot be searched for")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(name: str, value: str) -> None:
    if not PATTERNS[name].match(value) or TRAVERSAL in value:
        raise LogFilterError(
            f"{name} {value[:40]!r} is not valid: {ALLOWED[name]} only, no '..'", field=name
        )
