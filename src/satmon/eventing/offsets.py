"""Offset bookkeeping: how far each partition may be committed (at least once).

Offsets are tracked as ranges, not per event. Every unit of delivery answers for a
:class:`Span` of one partition's offsets (up to its last event, or to the end of the
fetch it came from, so records filtered out in between are covered too). A partition's
commit position only moves past *leading* spans that are done (their events delivered
or dead-lettered); a span still in flight holds back every span after it, so a crash or
a stop never commits an offset whose event was not handled. Events still queued have
no span yet, so nothing passes them either.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(slots=True, eq=False)
class Span:
    """The offsets of one partition that one unit answers for, up to ``end`` (exclusive)."""

    end: int
    done: bool = False


class OffsetTracker:
    """Spans of one partition in offset order; commit position = end of the last leading
    done span."""

    def __init__(self) -> None:
        self._spans: deque[Span] = deque()
        self.position: int | None = None  # next offset to commit

    def add(self, span: Span) -> None:
        self._spans.append(span)

    def advance(self) -> int | None:
        """Move past the leading done spans; returns the new position when it moved."""
        moved = False
        spans = self._spans
        while spans and spans[0].done:
            self.position = spans.popleft().end
            moved = True
        return self.position if moved else None

    def outstanding(self) -> int:
        return sum(1 for s in self._spans if not s.done)
