"""The Logs page's URL view and the links to it (pure logic)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import QueryParams

from ui import alarm_rows
from ui.log_view import LogView, around, link
from ui.pages.logs import row


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_a_view_survives_its_url() -> None:
    url = "/logs?q=failed+window&component=forecaster&component=api&level=warning"
    url += "&job_id=j-1&range=6h"
    view = LogView.parse(QueryParams(urlsplit(url).query))
    assert view.component == ("forecaster", "api") and view.level == "warning"
    assert view.q == "failed window" and view.job_id == "j-1" and view.range == "6h"
    assert view.live and view.problem is None
    again = LogView.parse(QueryParams(urlsplit(view.url()).query))
    assert again == view


def test_a_fixed_span_is_not_live_and_bad_parts_are_named() -> None:
    view = LogView.parse(
        QueryParams("start=2026-12-02T07:00:00Z&end=2026-12-02T08:00:00Z&level=loud")
    )
    assert not view.live and view.range is None
    assert view.level is None and "unknown level 'loud'" in (view.problem or "")
    assert view.api_params() == {"start": "2026-12-02T07:00:00Z", "end": "2026-12-02T08:00:00Z"}


def test_links_filter_by_their_id() -> None:
    assert _query(link(job_id="abc")) == {"job_id": ["abc"], "range": ["1w"]}
    assert _query(link(event_id="ev-9", other="x")) == {"event_id": ["ev-9"], "range": ["1w"]}
    span = around(
        datetime(2026, 12, 2, 7, 0, tzinfo=UTC),
        datetime(2026, 12, 2, 7, 10, tzinfo=UTC),
        satellite="SAT-001",
    )
    assert _query(span) == {
        "satellite": ["SAT-001"],
        "start": ["2026-12-02T06:59:00Z"],
        "end": ["2026-12-02T07:11:00Z"],
    }


def test_an_alarm_links_to_its_own_records_and_to_its_satellite_over_its_span() -> None:
    alarm = alarm_rows.row(
        {"id": 4, "satellite": "SAT-002", "severity": "critical", "state": "active_unacknowledged",
         "active": True, "raised_at": "2026-12-02T07:00:00Z"}
    )  # fmt: skip
    assert _query(alarm_rows.logs_link(alarm)) == {"alarm_id": ["4"], "range": ["1w"]}
    now = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)
    assert _query(alarm_rows.span_logs_link(alarm, now))["end"] == ["2026-12-02T07:31:00Z"]
    cleared = alarm_rows.row({"id": 5, "satellite": "SAT-002", "raised_at": "2026-12-02T07:00:00Z",
                              "returned_at": "2026-12-02T07:05:00Z", "active": False})  # fmt: skip
    assert _query(alarm_rows.span_logs_link(cleared, now))["end"] == ["2026-12-02T07:06:00Z"]


def test_a_record_row_names_its_level_in_words_and_its_ids() -> None:
    shown = row(
        {"time": "2026-12-02T07:00:01.123456Z", "level": "error", "component": "forecaster",
         "message": "forecast failed", "job_id": "j-1", "exception": "Traceback\nValueError: x"}
    )  # fmt: skip
    assert shown["level"] == "✖ error" and shown["ids"] == "job_id=j-1"
    assert shown["message"] == "forecast failed\nValueError: x"
    assert shown["time"] == "2026-12-02 07:00:01.123"
