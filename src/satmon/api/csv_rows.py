"""A range of one satellite as CSV: one row per timestamp, one column per metric,
produced chunk by chunk so memory stays flat whatever the range (a week at 1 Hz is
604,800 rows)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import numpy as np

from satmon.api import samples
from satmon.api.upstream.vm import VictoriaMetricsReader

CHUNK_MS = 3 * 3600 * 1000
"""Three hours a chunk: 10,800 rows at 1 Hz, a few MB at most."""
Chunk = dict[str, tuple[list[int], list[float]]]


class CsvExport:
    """``await prefetch()`` reads the first chunk (so a VictoriaMetrics that is down is a
    503 before any byte is sent); ``body()`` then yields the header and every row, the
    next chunk fetched while the current one is formatted and sent."""

    def __init__(
        self,
        vm: VictoriaMetricsReader,
        satellite: str,
        metrics: Sequence[str],
        start_ms: int,
        end_ms: int,
        chunk_ms: int = CHUNK_MS,
    ) -> None:
        self.vm = vm
        self.metrics = list(metrics)
        self.selector = samples.selector(metrics, satellite)
        self.bounds = [(t, min(t + chunk_ms, end_ms)) for t in range(start_ms, end_ms, chunk_ms)]
        self._first: Chunk | None = None

    async def prefetch(self) -> None:
        if self.bounds:
            self._first = await self._fetch(*self.bounds[0])

    async def body(self) -> AsyncIterator[bytes]:
        yield (",".join(["timestamp", *self.metrics]) + "\n").encode()
        pending: asyncio.Future[Chunk] | None = None
        try:
            for i in range(len(self.bounds)):
                if i == 0 and self._first is not None:
                    chunk, self._first = self._first, None
                else:
                    assert pending is not None
                    chunk = await pending
                following = self.bounds[i + 1] if i + 1 < len(self.bounds) else None
                pending = asyncio.ensure_future(self._fetch(*following)) if following else None
                text = rows_text(chunk, self.metrics)
                if text:
                    yield text.encode()
        finally:
            if pending is not None:
                pending.cancel()

    async def _fetch(self, lo: int, hi: int) -> Chunk:
        return samples.by_metric(await self.vm.export(self.selector, lo / 1000, (hi - 1) / 1000))


def rows_text(chunk: Chunk, metrics: Sequence[str]) -> str:
    """Rows of one chunk ("" if it holds none): RFC 3339 ms timestamps, empty cells where a
    metric has no sample at that timestamp."""
    columns = [chunk.get(m, ([], [])) for m in metrics]
    first = columns[0][0]
    if all(stamps == first for stamps, _ in columns):  # the usual case: written together
        times = first
        cells = [list(map(repr, values)) for _, values in columns]
    else:
        times = sorted(set().union(*(stamps for stamps, _ in columns)))
        cells = []
        for stamps, values in columns:
            at = dict(zip(stamps, values, strict=True))
            cells.append([repr(at[t]) if t in at else "" for t in times])
    if not times:
        return ""
    stamps_text = np.datetime_as_string(
        np.asarray(times, dtype="datetime64[ms]"), unit="ms", timezone="UTC"
    ).tolist()
    return "\n".join(map(",".join, zip(stamps_text, *cells, strict=True))) + "\n"
