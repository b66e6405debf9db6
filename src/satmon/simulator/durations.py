"""Human durations for the CLI: ``90``, ``60s``, ``5m``, ``2h``, ``1d``, ``1h30m``, ``250ms``."""

from __future__ import annotations

import re

UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(ms|min|s|m|h|d|w)?")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; a bare number is seconds. Raises ValueError when malformed."""
    cleaned = text.strip().lower()
    total, pos, parts = 0.0, 0, 0
    while pos < len(cleaned):
        match = _PART.match(cleaned, pos)
        bare = match is not None and match.group(2) is None
        if not match or (bare and (parts or match.end() != len(cleaned))):
            raise ValueError(f"not a duration: {text!r} (try 60s, 5m, 2h, 1d or 1h30m)")
        total += float(match.group(1)) * UNITS_S[match.group(2) or "s"]
        pos, parts = match.end(), parts + 1
        while pos < len(cleaned) and cleaned[pos] == " ":
            pos += 1
    if parts == 0:
        raise ValueError(f"not a duration: {text!r} (try 60s, 5m, 2h, 1d or 1h30m)")
    return total
