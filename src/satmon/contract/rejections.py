"""Batch handlers name the events they can never process; the caller dead-letters them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rejected:
    """An event of a batch that can never succeed: its position in the list given."""

    position: int
    detail: str
    field: str | None = None
