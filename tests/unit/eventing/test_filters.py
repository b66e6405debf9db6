"""Trigger filters: exact / prefix / suffix / all / any / not, nested; attributes only."""

from __future__ import annotations

import pytest

from satmon.eventing.filters import FilterError, compile_filters, matches

TELEMETRY = {
    "id": "1",
    "source": "/satellites/SAT-001",
    "type": "io.satmon.telemetry.v1",
    "specversion": "1.0",
    "partitionkey": "SAT-001",
}


def test_no_filter_accepts_everything() -> None:
    assert compile_filters(None)(TELEMETRY)
    assert compile_filters([])({})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ({"exact": {"type": "io.satmon.telemetry.v1"}}, True),
        ({"exact": {"type": "io.satmon.telemetry"}}, False),
        ({"exact": {"type": "io.satmon.telemetry.v1", "source": "/satellites/SAT-002"}}, False),
        ({"prefix": {"type": "io.satmon."}}, True),
        ({"prefix": {"source": "/ground"}}, False),
        ({"suffix": {"type": ".v1"}}, True),
        ({"suffix": {"partitionkey": "-002"}}, False),
        ({"exact": {"subject": "x"}}, False),  # missing attribute never matches
        ({"not": {"exact": {"subject": "x"}}}, True),
    ],
)
def test_single_dialects(expr: dict[str, object], expected: bool) -> None:
    assert matches(TELEMETRY, [expr]) is expected


def test_nested_all_any_not() -> None:
    expr = {
        "all": [
            {"prefix": {"type": "io.satmon."}},
            {
                "any": [
                    {"exact": {"source": "/satellites/SAT-009"}},
                    {"not": {"suffix": {"partitionkey": "-002"}}},
                ]
            },
            {"not": {"any": [{"exact": {"type": "io.satmon.forecast.requested.v1"}}]}},
        ]
    }
    assert matches(TELEMETRY, [expr])
    assert not matches({**TELEMETRY, "partitionkey": "SAT-002"}, [expr])
    assert matches(
        {**TELEMETRY, "partitionkey": "SAT-002", "source": "/satellites/SAT-009"}, [expr]
    )
    assert not matches({**TELEMETRY, "type": "io.satmon.forecast.requested.v1"}, [expr])


def test_several_filters_must_all_match() -> None:
    filters = [{"prefix": {"type": "io.satmon."}}, {"suffix": {"type": ".v2"}}]
    assert not matches(TELEMETRY, filters)


def test_filters_never_look_at_data() -> None:
    event = {**TELEMETRY, "data": {"satellite_id": "SAT-001"}}
    assert not matches(event, [{"exact": {"satellite_id": "SAT-001"}}])


def test_legacy_attributes_exact_and_empty_means_any() -> None:
    pred = compile_filters(legacy_attributes={"type": "io.satmon.telemetry.v1", "source": ""})
    assert pred(TELEMETRY)
    assert not pred({**TELEMETRY, "type": "other"})


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ({"cesql": "type = 'x'"}, "unsupported filter dialect 'cesql'"),
        ({"exact": {"type": "a"}, "prefix": {"type": "b"}}, "exactly one dialect"),
        ({"any": {"exact": {"type": "a"}}}, "must be a list"),
        ({"prefix": {"type": ""}}, "non-empty string"),
        ({"exact": {}}, "must map attribute names"),
    ],
)
def test_bad_filters_are_refused(expr: dict[str, object], message: str) -> None:
    with pytest.raises(FilterError, match=message):
        compile_filters([expr])
