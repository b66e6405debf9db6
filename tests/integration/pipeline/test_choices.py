"""Per-series forecast choices against the real VictoriaMetrics and Triton: learned from a
series' stored history with each served model, stored as ``satmon_forecast_choice``, read
back by the next batch instead of being learned again."""

from __future__ import annotations

import time
from typing import Any

import pytest

from satmon.contract.forecast import MODEL_NAMES
from satmon.forecast.choice import CHOICES
from satmon.pipeline.choices import choices_for, stored_choices
from satmon.settings import Settings
from tests.integration.pipeline.test_thresholds import series_with_history

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("model_name", MODEL_NAMES)
def test_a_choice_is_learned_stored_and_read_back(
    vm: Any, settings: Settings, model_name: str
) -> None:
    sat, end, model = series_with_history(vm, settings)
    now_s = end.timestamp()
    key = (sat, "battery")
    try:
        first = choices_for([key], model_name, vm, lambda: model, {}, now_s=now_s)
        assert first[key] in CHOICES
        forecast = model.windows
        assert forecast >= 100

        vm.flush_search_cache()
        deadline = time.monotonic() + 10
        stored: dict = {}
        while time.monotonic() < deadline and key not in stored:
            stored = stored_choices(vm, model_name, now_s - 60, now_s + 60)
            time.sleep(0.2)
        assert stored[key] == first[key]

        again = choices_for([key], model_name, vm, lambda: model, {}, now_s=now_s + 1)
        assert again == first and model.windows == forecast  # read back, not learned again
    finally:
        model.client.close()
