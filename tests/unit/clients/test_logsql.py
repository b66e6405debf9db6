"""LogsQL from validated filters: what passes is quoted, anything else is refused."""

from __future__ import annotations

import pytest

from satmon.clients.logsql import LogFilter, LogFilterError, quote, to_logsql, validate

INJECTIONS = [
    '" | delete',
    "* | stats count()",
    "x) OR (_time:>0",
    "a\\",
    "job'1",
    "`cmd`",
    "foo | limit 1",
    "_msg:*",
    '~".*"',
    "line\nbreak",
    '{app="x"}',
    "i(error)",
    "a;b",
    "$(id)",
    "../../etc/passwd",
]


def test_a_full_filter_is_exact_matches_and_case_free_words() -> None:
    query = LogFilter(
        text="forecast failed",
        components=("forecaster", "result-store"),
        level="warning",
        ids={"job_id": "0b5e4c1e-7a0e", "satellite": "SAT-001"},
    )
    assert to_logsql(query) == (
        'component:in("forecaster", "result-store") AND '
        'level:in("warning", "error", "critical") AND '
        'job_id:="0b5e4c1e-7a0e" AND satellite:="SAT-001" AND '
        'i("forecast") AND i("failed")'
    )


def test_nothing_asked_is_every_record_and_debug_is_no_level_filter() -> None:
    assert to_logsql(LogFilter()) == "*"
    assert to_logsql(LogFilter(level="debug")) == "*"


@pytest.mark.parametrize("text", INJECTIONS)
def test_search_text_with_query_syntax_is_refused(text: str) -> None:
    with pytest.raises(LogFilterError) as refused:
        validate(LogFilter(text=text))
    assert refused.value.field == "q"


@pytest.mark.parametrize("name", ["event_id", "job_id", "satellite", "request_id"])
@pytest.mark.parametrize("value", INJECTIONS)
def test_ids_with_query_syntax_are_refused(name: str, value: str) -> None:
    with pytest.raises(LogFilterError) as refused:
        to_logsql(LogFilter(ids={name: value}))
    assert refused.value.field == name


@pytest.mark.parametrize("value", ["Kafka", "kafka)", 'a"b', "-x", "x" * 64])
def test_components_are_lower_case_names(value: str) -> None:
    with pytest.raises(LogFilterError) as refused:
        to_logsql(LogFilter(components=(value,)))
    assert refused.value.field == "component"


def test_unknown_fields_levels_and_long_text_are_refused() -> None:
    with pytest.raises(LogFilterError, match="no log field"):
        to_logsql(LogFilter(ids={"_msg": "x"}))
    with pytest.raises(LogFilterError, match="level is one of"):
        to_logsql(LogFilter(level="verbose"))
    with pytest.raises(LogFilterError, match="at most 10 words"):
        to_logsql(LogFilter(text=" ".join(["w"] * 11)))


def test_ids_as_satmon_makes_them_pass() -> None:
    ids = {
        "event_id": "partition:0/offset:12",
        "job_id": "6f1c2a8e-0d7b-5a3e-9c4f-1b2d3e4f5a6b",
        "request_id": "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a99",
        "satellite": "BENCH-a1b2c3-007",
    }
    text = to_logsql(LogFilter(ids=ids, text="dead-lettered satellite-telemetry/0/12:"))
    assert 'event_id:="partition:0/offset:12"' in text


def test_quote_escapes_backslashes_and_quotes_and_refuses_control_characters() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    with pytest.raises(LogFilterError):
        quote("a\x00b")
