"""The trend view in the URL: presets, custom ranges, and bad values said in words."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from ui.views import View


def test_a_preset_view_round_trips_through_its_url() -> None:
    view = View.parse("SAT-002", "battery", "1w", None, None)
    url = view.url("/trends")
    query = parse_qs(urlsplit(url).query)
    assert query == {"satellite": ["SAT-002"], "metric": ["battery"], "range": ["1w"]}
    again = View.parse("SAT-002", query["metric"][0], query["range"][0], None, None)
    assert again == view and view.range_params() == {"range": "1w"}


def test_custom_start_end_replace_the_preset() -> None:
    view = View.parse("SAT-001", None, "1h", "2026-11-28T09:00:00Z", "2026-11-28T10:30:00")
    assert view.range is None and view.problem is None
    assert view.window() == (
        datetime(2026, 11, 28, 9, tzinfo=UTC),
        datetime(2026, 11, 28, 10, 30, tzinfo=UTC),
    )
    assert view.range_params() == {"start": "2026-11-28T09:00:00Z", "end": "2026-11-28T10:30:00Z"}


def test_the_preset_window_ends_now() -> None:
    now = datetime(2026, 11, 28, 10, tzinfo=UTC)
    start, end = View.parse("SAT-001", None, "6h", None, None).window(now)
    assert (end - start).total_seconds() == 6 * 3600 and end == now


def test_bad_values_fall_back_and_say_why() -> None:
    view = View.parse("SAT-001", "pressure", "2y", None, None)
    assert (view.metric, view.range) == ("temperature", "1h")
    assert view.problem is not None
    assert "unknown metric 'pressure'" in view.problem and "unknown range '2y'" in view.problem
    backwards = View.parse("SAT-001", None, None, "2026-11-28T10:00:00Z", "2026-11-28T09:00:00Z")
    assert backwards.problem == "start must be before end" and backwards.range == "1h"
    garbage = View.parse("SAT-001", None, None, "yesterday", "2026-11-28T09:00:00Z")
    assert garbage.problem is not None and "'yesterday' is not a time" in garbage.problem
