"""Ground track: each satellite's position now and its last orbit on a world map drawn
from the coastlines shipped in ``ui/assets`` (no tiles, no network)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from nicegui import ui

from ui import geo, services, theme
from ui.api_client import ApiClient, ApiError
from ui.hub import LiveHub, Sample
from ui.layout import PAGE_RESPONSE_S, frame
from ui.widgets import age, loading, note, number, problem

PATH = "/ground-track"
ORBIT_S = 95 * 60
"""A little more than one orbit at 400–450 km (about 92–93 min)."""
MARKERS = "markers"


def register() -> None:
    @ui.page(PATH, response_timeout=PAGE_RESPONSE_S)
    async def ground_track() -> None:
        hub = services.get().hub
        if not hub.fleet:
            await hub.refresh_directory()
        with frame("Ground track", PATH):
            if not hub.satellites:
                note("no satellite has telemetry yet")
                return
            GroundTrack(services.get().api, hub)


async def orbit(api: ApiClient, satellite: str) -> list[Any]:
    end = datetime.now(UTC)
    params = {
        "satellite": satellite,
        "metric": ["latitude", "longitude"],
        "start": (end - timedelta(seconds=ORBIT_S)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "samples",
    }
    answer = await api.get("/trends/raw", params)
    by_metric = {s["metric"]: s for s in answer["series"]}
    lats = by_metric.get("latitude", {}).get("values") or []
    lons = by_metric.get("longitude", {}).get("values") or []
    n = min(len(lats), len(lons))
    return geo.track(lons[:n], lats[:n])


def map_options(
    tracks: dict[str, list[Any]],
    positions: dict[str, tuple[float, float]],
    colours: dict[str, str],
) -> dict[str, Any]:
    axis = {
        "axisLabel": {"color": theme.MUTED},
        "splitLine": {"lineStyle": {"color": theme.BORDER}},
    }
    series: list[dict[str, Any]] = [
        {
            "id": "coastlines",
            "name": "coastlines",
            "type": "line",
            "data": geo.polylines_as_series(geo.coastlines()),
            "showSymbol": False,
            "silent": True,
            "connectNulls": False,
            "lineStyle": {"width": 1, "color": "#8b8d98"},
            "tooltip": {"show": False},
        }
    ]
    for sat, data in sorted(tracks.items()):
        series.append(
            {
                "id": f"track-{sat}",
                "name": sat,
                "type": "line",
                "data": data,
                "showSymbol": False,
                "connectNulls": False,
                "lineStyle": {
                    "width": 1.5,
                    "color": colours.get(sat, theme.GREEN),
                    "type": "dashed",
                },
                "color": colours.get(sat, theme.GREEN),
                "silent": True,
            }
        )
    series.append(markers(positions, colours))
    return {
        "backgroundColor": "transparent",
        "animation": False,
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 28},
        "legend": {"textStyle": {"color": theme.TEXT}, "data": sorted(tracks), "top": 4},
        "tooltip": {
            "trigger": "item",
            "backgroundColor": theme.SURFACE,
            "textStyle": {"color": theme.TEXT},
        },
        "xAxis": {"type": "value", "min": -180, "max": 180, "interval": 30, **axis},
        "yAxis": {"type": "value", "min": -90, "max": 90, "interval": 30, **axis},
        "series": series,
    }


def markers(positions: dict[str, tuple[float, float]], colours: dict[str, str]) -> dict[str, Any]:
    return {
        "id": MARKERS,
        "name": "now",
        "type": "scatter",
        "symbol": "diamond",
        "symbolSize": 16,
        "data": [
            {
                "name": sat,
                "value": [lon, lat],
                "itemStyle": {
                    "color": colours.get(sat, theme.GREEN),
                    "borderColor": "#fff",
                    "borderWidth": 1,
                },
            }
            for sat, (lon, lat) in sorted(positions.items())
        ],
        "label": {"show": True, "formatter": "{b}", "position": "right", "color": theme.TEXT},
    }


class GroundTrack:
    """The map draws at once with every satellite's latest position (the live feed, else
    the fleet's last sample); the last orbits, one query per satellite, follow once the
    browser is connected, so a large fleet never holds the page's first answer back."""

    def __init__(self, api: ApiClient, hub: LiveHub) -> None:
        self.api, self.hub = api, hub
        self.tracks: dict[str, list[Any]] = {}
        found = {sat: self.position_of(sat, None) for sat in hub.satellites}
        self.positions = {s: p for s, p in found.items() if p is not None}
        self.colours = {
            sat: theme.SERIES[i % len(theme.SERIES)] for i, sat in enumerate(hub.satellites)
        }
        self.notes = ui.column().classes("w-full")
        with self.notes:
            loading("each satellite's last orbit")
        self.chart = ui.echart(map_options({}, self.positions, self.colours)).classes("w-full")
        self.chart.style("height: auto; aspect-ratio: 1.9 / 1; max-height: 80vh")
        self.chart.mark("ground-map")
        columns = [
            {"name": "satellite", "label": "satellite", "field": "satellite", "align": "left"},
            {"name": "lat", "label": "latitude °", "field": "lat"},
            {"name": "lon", "label": "longitude °", "field": "lon"},
            {"name": "seen", "label": "last sample", "field": "seen"},
        ]
        self.table = ui.table(columns=columns, rows=self.rows(), row_key="satellite").classes(
            "w-full"
        )
        self.table.mark("positions")
        hub.sample.subscribe(self.on_sample)
        ui.timer(0, self.load_orbits, once=True)

    async def load_orbits(self) -> None:
        await ui.context.client.connected()
        satellites = self.hub.satellites
        answers = await asyncio.gather(
            *(orbit(self.api, s) for s in satellites), return_exceptions=True
        )
        self.notes.clear()
        for sat, answer in zip(satellites, answers, strict=True):
            if isinstance(answer, ApiError):
                with self.notes:
                    problem(answer, f"{sat}'s last orbit could not be read")
            elif isinstance(answer, BaseException):
                raise answer
            else:
                self.tracks[sat] = answer
                if sat not in self.positions:
                    position = self.position_of(sat, answer)
                    if position is not None:
                        self.positions[sat] = position
        self.chart.options.clear()
        self.chart.options.update(map_options(self.tracks, self.positions, self.colours))
        self.chart.update()
        self.table.rows = self.rows()
        self.table.update()

    def position_of(self, satellite: str, track: list[Any] | None) -> tuple[float, float] | None:
        sample = self.hub.latest.get(satellite)
        if sample and "latitude" in sample.values and "longitude" in sample.values:
            return sample.values["longitude"], sample.values["latitude"]
        last = (self.hub.fleet.get(satellite) or {}).get("latest") or {}
        if isinstance(last.get("latitude"), int | float) and isinstance(
            last.get("longitude"), int | float
        ):
            return float(last["longitude"]), float(last["latitude"])
        for lon, lat in reversed(track or []):
            if lon is not None and lat is not None:
                return float(lon), float(lat)
        return None

    def rows(self) -> list[dict[str, str]]:
        out = []
        for sat, (lon, lat) in sorted(self.positions.items()):
            sample = self.hub.latest.get(sat)
            out.append(
                {
                    "satellite": sat,
                    "lat": number(lat, 2),
                    "lon": number(lon, 2),
                    "seen": age(sample.ts_ms) if sample else self.last_seen(sat),
                }
            )
        return out

    def last_seen(self, satellite: str) -> str:
        seen = (self.hub.fleet.get(satellite) or {}).get("last_seen")
        return str(seen)[:19].replace("T", " ") if seen else "from the stored orbit"

    def on_sample(self, sample: Sample) -> None:
        if "latitude" not in sample.values or "longitude" not in sample.values:
            return
        self.positions[sample.satellite] = (sample.values["longitude"], sample.values["latitude"])
        self.chart.run_chart_method(
            "setOption", {"series": [markers(self.positions, self.colours)]}
        )
        self.table.rows = self.rows()
        self.table.update()
