"""Delivery policy: ISO-8601 durations, backoff math, Retry-After, answer classification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from satmon.eventing.delivery import (
    DeliveryPolicy,
    Outcome,
    classify,
    parse_duration,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("PT0.2S", 0.2),
        ("PT1S", 1.0),
        ("PT1M30S", 90.0),
        ("PT2H", 7200.0),
        ("P1D", 86400.0),
        ("P1DT1H1M1.5S", 90061.5),
        ("pt0.5s", 0.5),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "P", "PT", "0.2S", "PT0.2", "P1Y", "P1W", "PT-1S", "1s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_duration(text)


def test_exponential_backoff_doubles() -> None:
    policy = DeliveryPolicy.from_spec(
        {"retry": 4, "backoffPolicy": "exponential", "backoffDelay": "PT0.2S"}
    )
    assert policy.attempts == 5
    assert [policy.backoff(n) for n in range(1, 5)] == pytest.approx([0.4, 0.8, 1.6, 3.2])


def test_linear_backoff_grows_by_the_delay() -> None:
    policy = DeliveryPolicy.from_spec({"backoffPolicy": "linear", "backoffDelay": "PT0.5S"})
    assert [policy.backoff(n) for n in range(1, 4)] == pytest.approx([0.5, 1.0, 1.5])
    assert policy.backoff(0) == 0.0


def test_defaults_and_timeout() -> None:
    policy = DeliveryPolicy.from_spec({"timeout": "PT10S", "retryAfterMax": "PT5S"})
    assert (policy.retry, policy.backoff_policy, policy.backoff_delay) == (3, "exponential", 0.2)
    assert policy.timeout == 10.0
    assert policy.retry_after_max == 5.0


@pytest.mark.parametrize(
    "spec", [{"backoffPolicy": "fibonacci"}, {"retry": -1}, {"backoffDelay": "200ms"}]
)
def test_bad_delivery_spec(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DeliveryPolicy.from_spec(spec)


def test_retry_after_used_on_429_and_503_only_and_capped() -> None:
    policy = DeliveryPolicy.from_spec({"backoffDelay": "PT0.1S", "retryAfterMax": "PT2S"})
    assert policy.wait_before(1, 429, 1.0) == 1.0
    assert policy.wait_before(1, 503, 60.0) == 2.0  # capped by retryAfterMax
    assert policy.wait_before(1, 500, 1.0) == pytest.approx(0.2)  # 500: backoff, not header
    assert policy.wait_before(2, 429, None) == pytest.approx(0.4)
    assert policy.wait_before(5, 503, 1.0) == pytest.approx(3.2)  # never below the backoff


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, Outcome.ACCEPTED),
        (202, Outcome.ACCEPTED),
        (204, Outcome.ACCEPTED),
        (400, Outcome.DEAD_LETTER),
        (401, Outcome.DEAD_LETTER),
        (413, Outcome.DEAD_LETTER),
        (415, Outcome.DEAD_LETTER),
        (404, Outcome.RETRY),
        (409, Outcome.RETRY),
        (429, Outcome.RETRY),
        (500, Outcome.RETRY),
        (503, Outcome.RETRY),
        (None, Outcome.RETRY),
    ],
)
def test_classify(status: int | None, outcome: Outcome) -> None:
    assert classify(status) is outcome


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 28, 10, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Sat, 28 Nov 2026 10:00:05 GMT", now) == 5.0
    assert parse_retry_after("Sat, 28 Nov 2026 09:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
