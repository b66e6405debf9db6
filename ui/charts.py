"""ECharts options of the trend chart, built from the API's answers (pure functions).

Gaps stay gaps: a bucket with ``count = 0`` and a pause between samples longer than
three sampling intervals both become a null point, which ECharts draws as a break.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from typing import Any

from ui import theme
from ui.limits import LimitSet

FAR = 1e12  # a band reaching "to the edge" of any axis
BAND_STACK = "band"
BASE_SUFFIX = " (base)"


def gap_after_ms(timestamps: Sequence[int]) -> float:
    """A pause longer than this is a gap: three times the median sampling interval."""
    steps = [b - a for a, b in itertools.pairwise(timestamps) if b > a]
    return 3 * statistics.median(steps) if steps else float("inf")


def with_breaks(timestamps: Sequence[int], values: Sequence[float | None]) -> list[list[Any]]:
    """``[t, v]`` points with a ``[t, null]`` inside every gap."""
    limit = gap_after_ms(timestamps)
    data: list[list[Any]] = []
    for i, (t, v) in enumerate(zip(timestamps, values, strict=True)):
        if i and t - timestamps[i - 1] > limit:
            data.append([(t + timestamps[i - 1]) // 2, None])
        data.append([t, v])
    return data


def raw_series(series: dict[str, Any], mode: str) -> list[dict[str, Any]]:
    """The measured line; in buckets mode also the min–max envelope behind it."""
    stamps = series["timestamps"]
    if mode == "samples":
        return [_line("raw", with_breaks(stamps, series.get("values") or []), theme.BLUE, 2)]
    counts = series.get("count") or [0] * len(stamps)
    avg = [a if c else None for a, c in zip(series.get("avg") or [], counts, strict=False)]
    low = [m if c else None for m, c in zip(series.get("min") or [], counts, strict=False)]
    high = [m if c else None for m, c in zip(series.get("max") or [], counts, strict=False)]
    spread = [
        h - lo if h is not None and lo is not None else None
        for lo, h in zip(low, high, strict=True)
    ]
    return [
        *_band("raw min–max", stamps, low, spread, "raw-envelope", theme.BLUE, 0.15),
        _line("raw", [[t, v] for t, v in zip(stamps, avg, strict=True)], theme.BLUE, 2),
    ]


def forecast_series(predictions: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each model's latest forecast as a dashed line; the VAE's p10–p90 band shaded."""
    out: list[dict[str, Any]] = []
    for i, series in enumerate((predictions or {}).get("series") or []):
        model = str(series["model"])
        stamps, values = series["timestamps"], series["values"]
        colour = theme.SERIES[(i + 1) % len(theme.SERIES)]
        lower, upper = series.get("lower") or [], series.get("upper") or []
        if any(v is not None for v in lower) and any(v is not None for v in upper):
            spread = [
                hi - lo if hi is not None and lo is not None else None
                for lo, hi in zip(lower, upper, strict=False)
            ]
            name = f"{_short(model)} p10–p90"
            out.extend(_band(name, stamps, lower, spread, f"{BAND_STACK}-{model}", colour, 0.22))
        line = _line(_short(model), with_breaks(stamps, values), colour, 2)
        line["lineStyle"]["type"] = "dashed"
        out.append(line)
    return out


def limit_marks(limits: LimitSet | None) -> dict[str, Any]:
    """Red / yellow bands and labelled limit lines (the label says which, not just colour)."""
    if limits is None or limits.empty:
        return {}
    areas: list[Any] = []
    lines: list[dict[str, Any]] = []

    def band(low: float, high: float, colour: str) -> None:
        areas.append([{"yAxis": low, "itemStyle": {"color": colour}}, {"yAxis": high}])

    red, yellow = "rgba(248,113,113,0.16)", "rgba(250,204,21,0.12)"
    if limits.red_high is not None:
        band(limits.red_high, FAR, red)
    if limits.red_low is not None:
        band(-FAR, limits.red_low, red)
    if limits.yellow_high is not None:
        band(limits.yellow_high, limits.red_high if limits.red_high is not None else FAR, yellow)
    if limits.yellow_low is not None:
        band(limits.red_low if limits.red_low is not None else -FAR, limits.yellow_low, yellow)
    for name, value, colour in (
        ("red high", limits.red_high, theme.RED),
        ("yellow high", limits.yellow_high, theme.YELLOW),
        ("yellow low", limits.yellow_low, theme.YELLOW),
        ("red low", limits.red_low, theme.RED),
    ):
        if value is not None:
            lines.append(
                {
                    "yAxis": value,
                    "name": name,
                    "lineStyle": {"color": colour, "type": "dotted"},
                    "label": {
                        "formatter": f"{name} {value:g}",
                        "color": colour,
                        "position": "insideEndTop",
                    },
                }
            )
    return {
        "markArea": {"silent": True, "data": areas},
        "markLine": {"silent": True, "symbol": "none", "data": lines},
    }


def trend_options(
    raw: dict[str, Any],
    predictions: dict[str, Any] | None,
    limits: LimitSet | None,
    window_ms: tuple[int, int],
) -> dict[str, Any]:
    """The whole trend chart: x spans exactly the asked window; zoom inside and below."""
    options = theme.echart_base()
    series_doc = raw["series"][0] if raw.get("series") else {"timestamps": [], "values": []}
    measured = raw_series(series_doc, raw.get("mode", "samples"))
    measured[-1].update(limit_marks(limits))
    options["series"] = [*measured, *forecast_series(predictions)]
    options["xAxis"] = {**options["xAxis"], "min": window_ms[0], "max": window_ms[1]}  # type: ignore[dict-item]
    options["yAxis"] = {**options["yAxis"], "name": series_doc.get("unit", "")}  # type: ignore[dict-item]
    options["dataZoom"] = [
        {"type": "inside", "filterMode": "none"},
        {
            "type": "slider",
            "filterMode": "none",
            "height": 22,
            "bottom": 12,
            "textStyle": {"color": theme.MUTED},
        },
    ]
    series: list[dict[str, Any]] = options["series"]  # type: ignore[assignment]
    shown = [s["name"] for s in series if not s["name"].endswith(BASE_SUFFIX)]
    options["legend"] = {**options["legend"], "data": shown}  # type: ignore[dict-item]
    return options


def _short(model: str) -> str:
    return model.removesuffix("_timeseries")


def _line(name: str, data: list[Any], colour: str, width: int) -> dict[str, Any]:
    return {
        "name": name,
        "type": "line",
        "data": data,
        "showSymbol": False,
        "connectNulls": False,
        "color": colour,
        "lineStyle": {"width": width, "color": colour},
        "emphasis": {"disabled": True},
        "sampling": "lttb",
    }


def _band(
    name: str,
    stamps: Sequence[int],
    lower: Sequence[float | None],
    spread: Sequence[float | None],
    stack: str,
    colour: str,
    opacity: float,
) -> list[dict[str, Any]]:
    """A shaded band as two stacked series: an invisible base at the lower edge and the
    spread shaded above it (ECharts has no band series of its own); broken where the
    points pause, like the lines (two forecasts far apart are not one band)."""
    n = min(len(stamps), len(lower), len(spread))
    common = {
        "type": "line",
        "stack": stack,
        "stackStrategy": "all",  # the default stacks only values of the same sign
        "showSymbol": False,
        "connectNulls": False,
        "lineStyle": {"width": 0},
        "emphasis": {"disabled": True},
        "tooltip": {"show": False},
        "silent": True,
    }
    base = {
        **common,
        "name": name + BASE_SUFFIX,
        "data": with_breaks(stamps[:n], lower[:n]),
        "areaStyle": {"opacity": 0},
    }
    shaded = {
        **common,
        "name": name,
        "data": with_breaks(stamps[:n], spread[:n]),
        "color": colour,
        "areaStyle": {"color": colour, "opacity": opacity},
    }
    return [base, shaded]
