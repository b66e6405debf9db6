"""Pages that follow the live feed keep the same elements however many samples arrive
(issue 12): an element added per sample grew the dashboard by 7 elements a second with
the overview open, its memory with them, and every update sent their growing parent."""

from __future__ import annotations

import asyncio
import time
from collections import deque

import pytest
from nicegui import ui
from nicegui.testing.user import User

from satmon.contract.events import METRICS
from ui import services
from ui.hub import RECENT_POINTS, LiveHub, Sample

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
SATELLITE = "TEST-STEADY-1"
"""A satellite no simulator sends: the samples here are the test's own."""
SAMPLES = 120


@pytest.mark.parametrize("path", ["/", "/live"])
async def test_samples_add_no_elements_to_a_page(user: User, path: str) -> None:
    hub = _hub_knowing(SATELLITE)
    await user.open(f"{path}?satellite={SATELLITE}")
    await user.should_see(SATELLITE, marker="satellite-picker")
    await asyncio.sleep(0.5)  # whatever the page builds after connecting
    client = user.client
    assert client is not None
    before = len(client.elements)
    now_ms = int(time.time() * 1000)
    for i in range(SAMPLES):
        hub.sample.emit(_sample(SATELLITE, now_ms + i * 1000, 10.0 + (i % 7)))
    await asyncio.sleep(0.5)
    assert len(client.elements) == before


async def test_the_trend_word_follows_the_samples(user: User) -> None:
    hub = _hub_knowing(SATELLITE)
    await user.open(f"/?satellite={SATELLITE}")
    await user.should_see(SATELLITE, marker="satellite-picker")
    now_ms = int(time.time() * 1000)
    earlier = _sample(SATELLITE, now_ms - 31_000, 0.0)
    hub.recent.setdefault(SATELLITE, deque(maxlen=RECENT_POINTS)).append(earlier)
    words = user.find(marker="trend-word-temperature").elements
    assert len(words) == 1
    word = next(iter(words))
    assert isinstance(word, ui.tooltip)
    for value, expected in ((40.0, "rising"), (-40.0, "falling"), (40.0, "rising")):
        hub.sample.emit(_sample(SATELLITE, now_ms, value))
        await asyncio.sleep(0.05)
        assert word.text == expected
    assert len(user.find(marker="trend-word-temperature").elements) == 1


def _hub_knowing(satellite: str) -> LiveHub:
    """The dashboard's hub with ``satellite`` known, as if the live feed had sent it."""
    hub = services.get().hub
    hub.latest[satellite] = _sample(satellite, int(time.time() * 1000), 0.0)
    return hub


def _sample(satellite: str, ts_ms: int, value: float) -> Sample:
    return Sample(satellite, ts_ms, dict.fromkeys(METRICS, value), time.time())
