"""Who takes an operator's step, and the prose they add to it (limits, alarms).

A name is a word of letters, digits, ``_ . @ + -`` and inner spaces ("jdoe",
"j.doe@ops", "Night Shift"): it is shown and searched, so nothing else is needed and
quotes, brackets or control characters are refused with a 422. Comments and reasons
are free prose, stored as sent, except for control characters other than tab and line
breaks (PostgreSQL text cannot hold NUL, and none is ever meant).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

OPERATOR_PATTERN = r"^[\w.@+-]+(?: [\w.@+-]+)*$"
PROSE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
OPERATOR_MAX = 64
PROSE_MAX = 500


def operator_field(description: str) -> Any:
    return Field(
        min_length=1, max_length=OPERATOR_MAX, pattern=OPERATOR_PATTERN, description=description
    )


def prose_field(description: str, *, required: bool = False) -> Any:
    return Field(
        ... if required else None,
        min_length=1 if required else None,
        max_length=PROSE_MAX,
        pattern=PROSE_PATTERN,
        description=description,
    )
