"""The fleet as ``/trends/satellites`` shows it: first and last seen, cadence, staleness
and the latest values, from VictoriaMetrics.

Every query text here is fixed or built from ids VictoriaMetrics itself returned.
First-seen times never move, so they are kept per process once known, and so is each
satellite's last sample (the last hour's query moves it for those that send); a satellite's
cadence and latest values only change with a new last sample, so they are kept per
process with the last-seen time they belong to, and only satellites that sent
something since are read again (a fleet of thousands costs its active satellites).
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np

from satmon.api import samples
from satmon.api.satellites import PRESENCE_METRIC, SatelliteDirectory
from satmon.api.upstream.vm import VictoriaMetricsReader
from satmon.contract.events import METRICS, SATELLITE_ID_PATTERN

STALE_CADENCES = 3
CADENCE_WINDOW_S = 600.0
CADENCE_SAMPLES = 64
"""About this many of a satellite's last samples give its cadence (median interval):
the window shrinks to hold them, so a 100 Hz satellite costs what a 1 Hz one does."""
RECENT_S = 3600.0
_VALID = re.compile(SATELLITE_ID_PATTERN)
_PARALLEL = 8
IDS_PER_QUERY_CHARS = 8192
"""Satellite ids named in one query, in characters: half of VictoriaMetrics' default
``-search.maxQueryLen`` (16 KiB), so a large fleet takes several queries, never a 422."""


async def describe_fleet(
    directory: SatelliteDirectory, vm: VictoriaMetricsReader, lookback_s: float
) -> list[dict[str, Any]]:
    """One ``SatelliteInfo`` per satellite, as plain dicts (thousands of them: the route
    writes them with orjson, in the same bytes the model would)."""
    ids = sorted(i for i in await directory.known() if _VALID.match(i))
    now = time.time()
    last = await _last_seen(vm, ids, now, lookback_s, directory.last_seen, directory.looked_back)
    first_seen = directory.first_seen
    missing = [i for i in ids if i not in first_seen and i in last]
    if missing:
        first_seen.update(await _times(vm, "tfirst_over_time", missing, now, lookback_s))
    recent = directory.recent
    async with directory.recent_lock:  # callers at once share one read of what changed
        changed = [i for i in ids if i in last and recent.get(i, (-1.0,))[0] < last[i]]
        if changed:
            counts = await _times(vm, "count_over_time", None, now, CADENCE_WINDOW_S)
            gate = asyncio.Semaphore(_PARALLEL)

            async def read(sat: str) -> None:
                async with gate:
                    found = await _recent(vm, sat, last[sat], _window_s(counts.get(sat)))
                recent[sat] = (last[sat], *found)

            await asyncio.gather(*(read(sat) for sat in changed))

    def info(sat: str) -> dict[str, Any]:
        seen = last.get(sat)
        cadence: float | None = None
        latest: dict[str, float] = {}
        if seen is not None and sat in recent:
            _, cadence, latest = recent[sat]
        stale = seen is None or now - seen > STALE_CADENCES * (cadence or 1.0)
        return {
            "id": sat,
            "first_seen": _moment(first_seen.get(sat)),
            "last_seen": _moment(seen),
            "cadence_s": cadence,
            "stale": stale,
            "latest": latest,
        }

    return [info(sat) for sat in ids]


async def _last_seen(
    vm: VictoriaMetricsReader,
    ids: list[str],
    now: float,
    lookback_s: float,
    known: dict[str, float],
    looked_back: set[str],
) -> dict[str, float]:
    """The last hour first (cheap); satellites quiet for longer keep the last sample
    ``known`` holds for them (it can only move by a sample, which the last hour shows),
    and only ids not yet ``looked_back`` for look further back, once (VictoriaMetrics
    lists the ids of deleted series for a while: they have no sample to find)."""
    recent = await _times(vm, "tlast_over_time", None, now, RECENT_S)
    known.update(recent)
    unseen = [i for i in ids if i not in known and i not in looked_back]
    if unseen:
        known.update(await _times(vm, "tlast_over_time", unseen, now, lookback_s))
        looked_back.update(unseen)
    return {i: known[i] for i in ids if i in known}


async def _times(
    vm: VictoriaMetricsReader, function: str, ids: list[str] | None, now: float, span_s: float
) -> dict[str, float]:
    """``function`` (tfirst / tlast_over_time) of each satellite's presence series: of all
    of them when ``ids`` is None, else of those named, in as many queries as they need."""
    if ids is None:
        return await _times_of(vm, function, PRESENCE_METRIC, now, span_s)
    gate = asyncio.Semaphore(_PARALLEL)

    async def group(names: list[str]) -> dict[str, float]:
        # ids VictoriaMetrics listed, pattern-checked; '.' is the one regex character
        alternatives = "|".join(i.replace(".", r"\\.") for i in names)
        async with gate:
            series = f'{PRESENCE_METRIC}{{satellite_id=~"{alternatives}"}}'
            return await _times_of(vm, function, series, now, span_s)

    found: dict[str, float] = {}
    for part in await asyncio.gather(*(group(names) for names in id_groups(ids))):
        found |= part
    return found


def id_groups(ids: list[str], budget: int = IDS_PER_QUERY_CHARS) -> list[list[str]]:
    """``ids`` cut into runs whose alternation (escaped, joined by '|') fits ``budget``."""
    groups: list[list[str]] = []
    size = budget
    for sat in ids:
        length = len(sat) + 2 * sat.count(".") + 1
        if size + length > budget:
            groups.append([])
            size = 0
        groups[-1].append(sat)
        size += length
    return groups


async def _times_of(
    vm: VictoriaMetricsReader, function: str, series: str, now: float, span_s: float
) -> dict[str, float]:
    rows: list[dict[str, Any]] = await vm.query(f"{function}({series}[{int(span_s)}s])", now)
    return {
        r["metric"]["satellite_id"]: float(r["value"][1])
        for r in rows
        if "satellite_id" in r["metric"]
    }


def _window_s(count: float | None) -> float:
    """The cadence window: the last ``CADENCE_SAMPLES`` samples at the rate ``count`` (in
    the last ``CADENCE_WINDOW_S``) shows, the whole window when the count is unknown."""
    if not count or count <= CADENCE_SAMPLES:
        return CADENCE_WINDOW_S
    return max(CADENCE_WINDOW_S * CADENCE_SAMPLES / count, 0.001)


async def _recent(
    vm: VictoriaMetricsReader, sat: str, seen_s: float, window_s: float
) -> tuple[float | None, dict[str, float]]:
    """(median sample interval over ``window_s`` up to ``seen_s``, each metric's value at
    ``seen_s``)."""
    presence = await vm.export(samples.selector(["altitude"], sat), seen_s - window_s, seen_s)
    stamps = samples.by_metric(presence).get("altitude", ([], []))[0]
    cadence = float(np.median(np.diff(stamps))) / 1000 if len(stamps) > 1 else None
    at_last = samples.by_metric(
        await vm.export(samples.selector(list(METRICS), sat), seen_s, seen_s)
    )
    latest = {m: values[-1] for m, (_, values) in at_last.items() if values}
    return cadence, latest


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
