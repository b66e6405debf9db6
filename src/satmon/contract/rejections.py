"""Batch handlers name the events they can never process; the caller dead-letters them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from satmon.contract.events import EventError

T = TypeVar("T")
E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Rejected:
    """An event of a batch that can never succeed: its position in the list given."""

    position: int
    detail: str
    field: str | None = None


def parse_each(events: Sequence[E], parse: Callable[[E], T]) -> tuple[list[T], list[Rejected]]:
    """``parse`` every event; one that raises :class:`EventError` is rejected at its position."""
    parsed: list[T] = []
    rejected: list[Rejected] = []
    for position, event in enumerate(events):
        try:
            parsed.append(parse(event))
        except EventError as exc:
            rejected.append(Rejected(position, str(exc), exc.field))
    return parsed, rejected
