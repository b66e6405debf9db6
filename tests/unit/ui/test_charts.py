"""Trend chart options: gaps are breaks (nulls), bands stack, limits carry their names."""

from __future__ import annotations

from ui.charts import (
    BASE_SUFFIX,
    forecast_series,
    gap_after_ms,
    limit_marks,
    raw_series,
    trend_options,
    with_breaks,
)
from ui.limits import LimitSet


def test_a_pause_longer_than_three_intervals_becomes_a_null_point() -> None:
    stamps = [0, 1000, 2000, 3000, 60_000, 61_000]
    data = with_breaks(stamps, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert gap_after_ms(stamps) == 3000
    assert [p[1] for p in data] == [1.0, 2.0, 3.0, 4.0, None, 5.0, 6.0]
    assert data[4][0] == (3000 + 60_000) // 2


def test_buckets_without_samples_are_nulls_in_line_and_envelope() -> None:
    series = {
        "timestamps": [0, 10, 20],
        "count": [5, 0, 4],
        "min": [1.0, None, 2.0],
        "max": [3.0, None, 5.0],
        "avg": [2.0, None, 3.5],
    }
    base, envelope, line = raw_series(series, "buckets")
    assert [p[1] for p in line["data"]] == [2.0, None, 3.5]
    assert [p[1] for p in base["data"]] == [1.0, None, 2.0]
    assert [p[1] for p in envelope["data"]] == [2.0, None, 3.0]
    assert base["stack"] == envelope["stack"] and line["connectNulls"] is False


def test_the_vae_band_is_shaded_and_the_transformer_is_a_line() -> None:
    prediction = {
        "series": [
            {
                "model": "vae_timeseries",
                "timestamps": [1, 2],
                "values": [5.0, 6.0],
                "lower": [4.0, 5.0],
                "upper": [6.5, 7.5],
            },
            {
                "model": "transformer_timeseries",
                "timestamps": [1, 2],
                "values": [5.5, 6.5],
                "lower": [None, None],
                "upper": [None, None],
            },
        ]
    }
    names = [s["name"] for s in forecast_series(prediction)]
    assert names == ["vae p10–p90" + BASE_SUFFIX, "vae p10–p90", "vae", "transformer"]
    band = forecast_series(prediction)[1]
    assert [p[1] for p in band["data"]] == [2.5, 2.5] and band["areaStyle"]["opacity"] > 0


def test_limit_bands_and_named_lines() -> None:
    marks = limit_marks(LimitSet(yellow_low=-20, yellow_high=30, red_low=-40, red_high=45))
    areas = marks["markArea"]["data"]
    assert len(areas) == 4
    labels = [line["label"]["formatter"] for line in marks["markLine"]["data"]]
    assert labels == ["red high 45", "yellow high 30", "yellow low -20", "red low -40"]
    assert limit_marks(None) == {} and limit_marks(LimitSet()) == {}


def test_the_x_axis_spans_exactly_the_asked_window() -> None:
    raw = {
        "mode": "samples",
        "series": [{"metric": "battery", "unit": "V", "timestamps": [5, 6], "values": [3.9, 3.8]}],
    }
    options = trend_options(raw, None, None, (0, 3_600_000))
    assert (options["xAxis"]["min"], options["xAxis"]["max"]) == (0, 3_600_000)
    assert options["yAxis"]["name"] == "V"
    assert options["legend"]["data"] == ["raw"]
    assert {z["type"] for z in options["dataZoom"]} == {"inside", "slider"}


def test_the_vae_band_breaks_between_two_forecasts_far_apart() -> None:
    stamps = [0, 1000, 2000, 3000, 600_000, 601_000, 602_000, 603_000]  # ms: two jobs' points
    vae = {"model": "vae_timeseries", "timestamps": stamps, "values": [1.0] * 8}
    vae |= {"lower": [0.5] * 8, "upper": [1.5] * 8}
    base, band, line = forecast_series({"series": [vae]})
    for series in (base, band, line):
        breaks = [p for p in series["data"] if p[1] is None]
        assert len(breaks) == 1 and 3000 < breaks[0][0] < 600_000, series["name"]
