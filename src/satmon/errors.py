"""One exception hierarchy: raise to retry, return to acknowledge, dead-letter the poison."""

from __future__ import annotations


class SatmonError(Exception):
    """Base of every error satmon raises on purpose."""


class TransientError(SatmonError):
    """Worth retrying: a dependency is down or slow (HTTP 5xx / 503 upstream)."""


class PermanentError(SatmonError):
    """Can never succeed as it is: acknowledge and dead-letter with this reason (HTTP 400)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
