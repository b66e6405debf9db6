"""Restart=on-failure with capped, doubling delays; too many failures mark a component failed."""

from __future__ import annotations

import signal

from satmon.stack.policy import Backoff, RestartPolicy, clean_exit, describe_exit


def test_clean_exits_are_the_ones_systemd_leaves_alone() -> None:
    assert clean_exit(0)
    assert clean_exit(-signal.SIGTERM) and clean_exit(-signal.SIGINT)
    assert not clean_exit(1)
    assert not clean_exit(-signal.SIGKILL)
    assert not clean_exit(-signal.SIGSEGV)
    assert not clean_exit(None)  # an adopted process whose status nobody could read


def test_exits_are_described_by_code_or_signal_name() -> None:
    assert describe_exit(0) == "0"
    assert describe_exit(3) == "3"
    assert describe_exit(-signal.SIGKILL) == "SIGKILL"
    assert describe_exit(None) == "unknown"


def test_delay_doubles_up_to_the_cap() -> None:
    backoff = Backoff(RestartPolicy(delay_s=1, max_delay_s=5, burst=100, window_s=1000))
    delays = [backoff.after_failure(now=t, ran_healthy_s=0) for t in range(6)]
    assert delays == [1, 2, 4, 5, 5, 5]


def test_a_stable_run_starts_the_delays_over() -> None:
    backoff = Backoff(RestartPolicy(delay_s=1, max_delay_s=30, burst=100, stable_s=60))
    assert backoff.after_failure(0, ran_healthy_s=0) == 1
    assert backoff.after_failure(1, ran_healthy_s=0) == 2
    assert backoff.after_failure(100, ran_healthy_s=90) == 1


def test_more_failures_than_the_burst_within_the_window_give_up() -> None:
    backoff = Backoff(RestartPolicy(delay_s=1, burst=3, window_s=60))
    assert backoff.after_failure(0, 0) is not None
    assert backoff.after_failure(10, 0) is not None
    assert backoff.after_failure(20, 0) is not None
    assert backoff.after_failure(30, 0) is None  # the fourth within 60 s


def test_failures_older_than_the_window_are_forgotten() -> None:
    backoff = Backoff(RestartPolicy(delay_s=1, burst=2, window_s=60))
    assert backoff.after_failure(0, 0) is not None
    assert backoff.after_failure(10, 0) is not None
    assert backoff.after_failure(100, 0) is not None  # the first two fell out of the window


def test_reset_forgets_everything() -> None:
    backoff = Backoff(RestartPolicy(delay_s=1, burst=1, window_s=60))
    backoff.after_failure(0, 0)
    backoff.reset()
    assert backoff.after_failure(1, 0) == 1
