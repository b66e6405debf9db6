"""Staleness and cadence, pure: when a satellite's silence makes it stale."""

from __future__ import annotations

from satmon.pipeline.alarm_signals import cadence, stale_allowance_s
from satmon.store.alarm_state import Seen


def test_staleness_allows_three_cadences_and_never_less_than_the_floor() -> None:
    assert stale_allowance_s(1.0, 3.0, 2.0) == 3.0
    assert stale_allowance_s(10.0, 3.0, 2.0) == 30.0
    assert stale_allowance_s(0.1, 3.0, 2.0) == 2.0  # 10 Hz: no alarm for a 0.3 s hiccup
    assert stale_allowance_s(None, 3.0, 2.0) == 3.0  # one sample seen: 1 s assumed


def test_cadence_is_the_sample_spacing_and_one_gap_barely_moves_it() -> None:
    assert cadence(None, [0, 1000, 2000, 3000]) == 1.0
    steady = Seen(last_ms=3000, cadence_s=1.0)
    assert cadence(steady, [4000]) == 1.0
    after_gap = cadence(steady, [603_000])  # ten minutes of silence, then one sample
    assert after_gap == 1.6  # the gap counts as at most four cadences, a fifth of the weight
    assert cadence(Seen(603_000, after_gap), [604_000 + i * 1000 for i in range(20)]) < 1.01
    assert cadence(None, [5000]) is None
