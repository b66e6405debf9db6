"""Pacer: units take consecutive slots at the configured rate (fake clock, pure logic)."""

import threading
import time

import pytest

from satmon.eventing.pacing import Pacer


class FakeTime:
    """A clock that only moves when something waits on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []
        self.interrupt = False

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        if self.interrupt:
            return True
        self.now += seconds
        return False


def test_units_are_spaced_by_their_size_over_the_rate() -> None:
    t = FakeTime()
    pacer = Pacer(100.0, t.wait, t.clock)
    assert pacer.admit(32)  # the first goes at once
    assert pacer.admit(32)  # 0.32 s later
    assert pacer.admit(10)  # another 0.32 s
    assert t.waits == pytest.approx([0.32, 0.32])
    assert t.now == pytest.approx(100.64)


def test_an_idle_spell_does_not_save_up_a_burst() -> None:
    t = FakeTime()
    pacer = Pacer(10.0, t.wait, t.clock)
    assert pacer.admit(5)
    t.now += 60.0  # nothing to deliver for a minute
    assert pacer.admit(5)  # at once: its slot is long past
    assert pacer.admit(5)  # but the next one waits its 0.5 s again
    assert t.waits == pytest.approx([0.5])


def test_an_interrupted_wait_refuses_the_unit() -> None:
    t = FakeTime()
    pacer = Pacer(1.0, t.wait, t.clock)
    assert pacer.admit(1)
    t.interrupt = True
    assert not pacer.admit(1)


def test_concurrent_workers_share_one_timeline() -> None:
    pacer = Pacer(1000.0, threading.Event().wait)
    admitted: list[float] = []
    lock = threading.Lock()

    def deliver() -> None:
        assert pacer.admit(10)
        with lock:
            admitted.append(time.monotonic())

    workers = [threading.Thread(target=deliver) for _ in range(5)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join(5)
    # 5 units of 10 events at 1,000 events/s: slots 0, 10, 20, 30 and 40 ms
    assert len(admitted) == 5
    assert max(admitted) - started >= 0.039


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Pacer(0.0, threading.Event().wait)
