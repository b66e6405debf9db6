"""Delivery policy: retries, backoff, per-attempt timeout and answer classification (pure).

Mirrors a Knative ``delivery`` block: ``retry: N`` means N + 1 attempts, ``backoffPolicy``
``linear`` waits ``backoffDelay · n`` and ``exponential`` waits ``backoffDelay · 2^n``
before retry n (n = 1, 2, ...), ``timeout`` bounds each attempt, and ``Retry-After`` is
honoured on 429 / 503 (capped by ``retryAfterMax`` when set).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


class Outcome(enum.Enum):
    """What an HTTP answer means for the event (EVENTING.md, status codes)."""

    ACCEPTED = "accepted"
    RETRY = "retry"
    DEAD_LETTER = "dead-letter"


RETRYABLE_CODES = frozenset({404, 409, 429})
RETRY_AFTER_CODES = frozenset({429, 503})

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(text: str) -> float:
    """ISO-8601 duration (``PT0.2S``, ``PT1M30S``, ``P1D``) → seconds.

    Years, months and weeks are refused: their length is ambiguous for a delay.
    """
    match = _DURATION.match(text.strip().upper()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"not an ISO-8601 duration (e.g. PT0.2S): {text!r}")
    parts = {k: float(v) for k, v in match.groupdict().items() if v is not None}
    return (
        parts.get("days", 0.0) * 86400
        + parts.get("hours", 0.0) * 3600
        + parts.get("minutes", 0.0) * 60
        + parts.get("seconds", 0.0)
    )


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """A parsed Knative ``delivery`` block (times in seconds)."""

    retry: int = 3
    backoff_policy: str = "exponential"
    backoff_delay: float = 0.2
    timeout: float = 30.0
    retry_after_max: float | None = None
    dead_letter: Mapping[str, Any] | None = None

    @property
    def attempts(self) -> int:
        return self.retry + 1

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any] | None) -> DeliveryPolicy:
        spec = spec or {}
        policy = str(spec.get("backoffPolicy", "exponential")).lower()
        if policy not in ("linear", "exponential"):
            raise ValueError(f"backoffPolicy must be linear or exponential, not {policy!r}")
        retry = int(spec.get("retry", 3))
        if retry < 0:
            raise ValueError("retry must be >= 0")
        return cls(
            retry=retry,
            backoff_policy=policy,
            backoff_delay=parse_duration(spec["backoffDelay"]) if "backoffDelay" in spec else 0.2,
            timeout=parse_duration(spec["timeout"]) if "timeout" in spec else 30.0,
            retry_after_max=(
                parse_duration(spec["retryAfterMax"]) if "retryAfterMax" in spec else None
            ),
            dead_letter=spec.get("deadLetterSink"),
        )

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry ``retry_number`` (1 = the first retry)."""
        if retry_number < 1:
            return 0.0
        if self.backoff_policy == "linear":
            return self.backoff_delay * retry_number
        return self.backoff_delay * (2**retry_number)

    def wait_before(
        self, retry_number: int, status: int | None, retry_after: float | None
    ) -> float:
        """The wait before a retry: the backoff, or longer when a 429 / 503 says
        ``Retry-After`` (capped by ``retryAfterMax``). A short Retry-After never makes
        the dispatcher retry faster than its backoff policy."""
        backoff = self.backoff(retry_number)
        if status in RETRY_AFTER_CODES and retry_after is not None:
            wait = retry_after
            if self.retry_after_max is not None:
                wait = min(wait, self.retry_after_max)
            return max(wait, backoff)
        return backoff


def classify(status: int | None) -> Outcome:
    """Classify an HTTP status; ``None`` (timeout, connection refused) is transient."""
    if status is None:
        return Outcome.RETRY
    if 200 <= status < 300:
        return Outcome.ACCEPTED
    if status >= 500 or status in RETRYABLE_CODES:
        return Outcome.RETRY
    return Outcome.DEAD_LETTER


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP date → seconds (None if absent/invalid)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)
