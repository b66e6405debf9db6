"""The ground-track map's geometry: coastlines from the shipped TopoJSON, and tracks
split where they cross the antimeridian (so no line is drawn across the whole map)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

LAND = Path(__file__).with_name("assets") / "land-110m.json"


SOUTH_EDGE = -85.0
"""Antarctica's outline closes along the map's bottom edge; that edge is no coast."""


@lru_cache(maxsize=1)
def coastlines() -> list[list[tuple[float, float]]]:
    """The land outline as (longitude, latitude) polylines: every arc of the TopoJSON,
    cut where it runs along the antimeridian or the south edge (cuts, not coasts)."""
    topology = orjson.loads(LAND.read_bytes())
    lines = []
    for arc in topology["arcs"]:
        lines.extend(coast_only(decode_arc(arc, topology.get("transform"))))
    return lines


def coast_only(line: Sequence[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Split a polyline at each step that is a cut of the map rather than a coast: one
    that jumps across the antimeridian, runs along it, or lies on the south edge."""
    pieces: list[list[tuple[float, float]]] = [[]]
    for point in line:
        current = pieces[-1]
        if current and _is_cut(current[-1], point):
            pieces.append([])
        pieces[-1].append(point)
    return [p for p in pieces if len(p) > 1]


def _is_cut(a: tuple[float, float], b: tuple[float, float]) -> bool:
    across = abs(b[0] - a[0]) > 180
    along = abs(a[0]) >= 179.99 and abs(b[0]) >= 179.99
    south = a[1] <= SOUTH_EDGE and b[1] <= SOUTH_EDGE
    return across or along or south


def decode_arc(
    arc: Sequence[Sequence[float]], transform: dict[str, Any] | None
) -> list[tuple[float, float]]:
    """A TopoJSON arc: quantized, delta-encoded positions when a transform is given."""
    if transform is None:
        return [(float(p[0]), float(p[1])) for p in arc]
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    x = y = 0
    out = []
    for dx, dy, *_ in arc:
        x += int(dx)
        y += int(dy)
        out.append((round(x * sx + tx, 3), round(y * sy + ty, 3)))
    return out


def polylines_as_series(lines: Sequence[Sequence[tuple[float, float]]]) -> list[Any]:
    """One ECharts line-series ``data`` with a null point between polylines (breaks)."""
    data: list[Any] = []
    for line in lines:
        if data:
            data.append([None, None])
        data.extend([lon, lat] for lon, lat in line)
    return data


def track(lons: Sequence[float], lats: Sequence[float]) -> list[Any]:
    """A ground track as line data, broken wherever it jumps across the antimeridian."""
    data: list[Any] = []
    previous: float | None = None
    for lon, lat in zip(lons, lats, strict=True):
        if previous is not None and abs(lon - previous) > 180:
            data.append([None, None])
        data.append([lon, lat])
        previous = lon
    return data
