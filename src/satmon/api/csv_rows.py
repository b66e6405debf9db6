"""A range of one satellite as CSV: one row per timestamp, one column per metric,
produced chunk by chunk so memory stays flat whatever the range (a week at 1 Hz is
604,800 rows).

A cell's text is ``repr`` of the value VictoriaMetrics' export decodes to (a whole
number as VictoriaMetrics writes it, ``68``; any other as Python's shortest round-trip
form, ``12.3``). In the usual chunk every metric was written at the same timestamps in
one storage part, and the export already holds that text, so it is passed through
without decoding a number (:func:`export_rows`); any other chunk is decoded, merged and
formatted (:func:`rows`), to the same text.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import numpy as np
import orjson

from satmon.api import samples
from satmon.api.upstream.vm import VictoriaMetricsReader, parse_export
from satmon.contract.events import METRIC_PREFIX

CHUNK_MS = 3 * 3600 * 1000
"""Three hours a chunk: 10,800 rows at 1 Hz, about 1.6 MB of export and 1.1 MB of CSV."""
Chunk = dict[str, tuple[list[int], list[float]]]

_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[list(b"0123456789.,-")] = True
COMMA, MINUS, DOT, ZERO, NINE = b",-.09"
_YEARS_OK = (-62_135_596_800_000, 253_402_300_800_000)
"""[0001-01-01, 10000-01-01) in ms: where an RFC 3339 stamp is 24 characters."""


class CsvExport:
    """``await prefetch()`` reads the first chunk (so a VictoriaMetrics that is down is a
    503 before any byte is sent); ``body()`` then yields the header and every chunk's
    rows, the next chunk fetched while the current one is formatted and sent."""

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
        self._first: bytes | None = None

    async def prefetch(self) -> None:
        if self.bounds:
            self._first = await self._fetch(*self.bounds[0])

    async def body(self) -> AsyncIterator[bytes]:
        yield (",".join(["timestamp", *self.metrics]) + "\n").encode()
        pending: asyncio.Future[bytes] | None = None
        try:
            for i in range(len(self.bounds)):
                if i == 0 and self._first is not None:
                    answer, self._first = self._first, None
                else:
                    assert pending is not None
                    answer = await pending
                following = self.bounds[i + 1] if i + 1 < len(self.bounds) else None
                pending = asyncio.ensure_future(self._fetch(*following)) if following else None
                text = export_rows(answer, self.metrics)
                del answer
                if text:
                    yield text
        finally:
            if pending is not None:
                pending.cancel()

    async def _fetch(self, lo: int, hi: int) -> bytes:
        return await self.vm.export_lines(self.selector, lo / 1000, (hi - 1) / 1000)


def export_rows(answer: bytes, metrics: Sequence[str]) -> bytes:
    """Rows of one export answer (b"" if it holds none)."""
    aligned = _aligned(answer, metrics)
    if aligned is not None:
        return aligned
    return rows(samples.by_metric(parse_export(answer)), metrics)


def rows(chunk: Chunk, metrics: Sequence[str]) -> bytes:
    """Rows of decoded samples (b"" if there are none): RFC 3339 ms timestamps, empty
    cells where a metric has no sample at that timestamp."""
    columns = [chunk.get(m, ([], [])) for m in metrics]
    first = columns[0][0]
    if all(stamps == first for stamps, _ in columns):  # the usual case: written together
        times = first
        cells = [list(map(b"%r".__mod__, values)) for _, values in columns]
    else:
        times = sorted(set().union(*(stamps for stamps, _ in columns)))
        cells = []
        for stamps, values in columns:
            at = dict(zip(stamps, values, strict=True))
            cells.append([b"%r" % at[t] if t in at else b"" for t in times])
    if not times:
        return b""
    return join_rows(rfc3339_ms(np.asarray(times, dtype=np.int64)), cells)


def _aligned(answer: bytes, metrics: Sequence[str]) -> bytes | None:
    """Rows straight from the export's text when each metric is one line and every line
    has the same timestamps, in order; None for any other answer."""
    values: dict[str, bytes] = {}
    stamps_text: bytes | None = None
    for line in answer.split(b"\n"):
        if not line:
            continue
        parts = _split_line(line)
        if parts is None:
            return None
        metric, line_values, line_stamps = parts
        if metric in values or (stamps_text is not None and line_stamps != stamps_text):
            return None
        values[metric] = line_values
        stamps_text = line_stamps
    if stamps_text is None or any(m not in values for m in metrics):
        return None
    times = np.asarray(orjson.loads(b"[" + stamps_text + b"]"), dtype=np.int64)
    if times.size > 1 and not bool(np.all(times[1:] > times[:-1])):
        return None
    cells = [cells_text(values[m]) for m in metrics]
    if any(len(column) != times.size for column in cells):
        return None
    return join_rows(rfc3339_ms(times), cells)


def _split_line(line: bytes) -> tuple[str, bytes, bytes] | None:
    """``{"metric":{…},"values":[…],"timestamps":[…]}`` → (metric, values, timestamps),
    the two lists' text without brackets; None for a line of any other shape."""
    head = b'{"metric":'
    stamps_at = line.rfind(b'],"timestamps":[')
    values_at = line.rfind(b'},"values":[', 0, stamps_at)  # no "}" in a list of numbers
    if not line.startswith(head) or not line.endswith(b"]}") or values_at < 0:
        return None
    labels = orjson.loads(line[len(head) : values_at + 1])
    if not isinstance(labels, dict):
        return None
    metric = str(labels.get("__name__", "")).removeprefix(METRIC_PREFIX)
    return metric, line[values_at + 12 : stamps_at], line[stamps_at + 16 : -2]


def cells_text(values: bytes) -> list[bytes]:
    """One series' export values (``1.5,68,-0.25``) as cells: the text itself where it is
    already what ``repr`` of its decoded value gives, else decoded and formatted.

    Passed through: a whole number (``0`` or ``-?[1-9][0-9]*``, decoded as an int, whose
    repr is that text), and a decimal ``-?d.ddd`` with no trailing zero, at least 1e-4
    (repr writes smaller ones with an exponent) and at most 15 digits (17 characters
    bound both). Fifteen significant digits survive a float64 round trip, so no shorter
    decimal decodes to the same float and the shortest repr is that decimal itself."""
    if _verbatim(values):
        return values.split(b",")
    return list(map(b"%r".__mod__, orjson.loads(b"[" + values + b"]")))


def _verbatim(values: bytes) -> bool:
    """Every comma-separated token is ``0``, ``-?[1-9][0-9]*`` or
    ``-?(?:[1-9][0-9]*|0).[0-9]*[1-9]`` not below 1e-4 (no ``0.0000``), 16 characters at
    most: checked on all tokens at once in numpy (a regular expression cost 3-4 times
    the rest of a chunk's formatting)."""
    padded = np.frombuffer(b"," + values + b",,,,,", dtype=np.uint8)
    text = padded[: len(values) + 2]  # ",tokens,": the padding is for the look-ahead below
    if not _NUMBER_BYTES[text].all():
        return False
    commas = np.flatnonzero(text == COMMA)
    starts, ends = commas[:-1] + 1, commas[1:]  # token i is text[starts[i]:ends[i]]
    lengths = ends - starts
    if lengths.min() < 1 or lengths.max() > 16:
        return False
    minus = np.flatnonzero(text == MINUS)
    if minus.size and not (text[minus - 1] == COMMA).all():  # a sign only in front
        return False
    body = starts + (text[starts] == MINUS)
    if (body >= ends).any():
        return False
    dots = np.flatnonzero(text == DOT)
    owner = np.searchsorted(commas, dots) - 1  # the token of each point
    if owner.size > 1 and not (owner[1:] != owner[:-1]).all():  # two points in one token
        return False
    whole = np.ones(starts.size, dtype=bool)
    whole[owner] = False
    zero_first = text[body] == ZERO
    if (whole & zero_first & ((ends - body != 1) | (body != starts))).any():  # 01, -0
        return False
    last = text[ends - 1]
    if (~whole & ((last <= ZERO) | (last > NINE))).any():  # 1.50, 1.
        return False
    dot_body = body[owner]
    if (dots == dot_body).any():  # .5
        return False
    leading_zero = text[dot_body] == ZERO
    if (leading_zero & (dots != dot_body + 1)).any():  # 00.5
        return False
    tiny = leading_zero.copy()
    for k in range(1, 5):  # 0.0000…: below 1e-4, repr writes an exponent
        tiny &= padded[dots + k] == ZERO
    return not bool(tiny.any())


def rfc3339_ms(times: np.ndarray) -> list[bytes]:
    """Epoch ms → ``2026-11-28T10:00:00.000Z``, the text of
    ``numpy.datetime_as_string(..., unit="ms", timezone="UTC")``, built as digits."""
    if times.size == 0:
        return []
    if times.min() < _YEARS_OK[0] or times.max() >= _YEARS_OK[1]:
        text = np.datetime_as_string(times.astype("datetime64[ms]"), unit="ms", timezone="UTC")
        return [t.encode() for t in text.tolist()]
    days, of_day = np.divmod(times, 86_400_000)
    unique_days, which = np.unique(days, return_inverse=True)
    dates = np.datetime_as_string(unique_days.astype("datetime64[D]")).astype("S10")
    out = np.empty((times.size, 24), dtype=np.uint8)
    out[:, :10] = dates.view(np.uint8).reshape(-1, 10)[which]
    out[:, 10], out[:, 13], out[:, 16], out[:, 19], out[:, 23] = b"T::.Z"
    hours, rest = np.divmod(of_day, 3_600_000)
    minutes, rest = np.divmod(rest, 60_000)
    seconds, millis = np.divmod(rest, 1000)
    for at, value, width in ((11, hours, 2), (14, minutes, 2), (17, seconds, 2), (20, millis, 3)):
        for k in range(width):
            out[:, at + width - 1 - k] = value // 10**k % 10 + 48
    stamps: list[bytes] = out.view("S24").ravel().tolist()
    return stamps


def join_rows(stamps: Sequence[bytes], cells: Sequence[Sequence[bytes]]) -> bytes:
    """``stamp,cell,…\\n`` a row, assembled in one ``bytes.join`` over an interleaved list."""
    width = 2 * (len(cells) + 1)
    n = len(stamps)
    flat = [b","] * (width * n)
    flat[0::width] = stamps
    for i, column in enumerate(cells):
        flat[2 + 2 * i :: width] = column
    flat[width - 1 :: width] = [b"\n"] * n
    return b"".join(flat)
