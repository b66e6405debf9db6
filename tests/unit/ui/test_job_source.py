"""The jobs page's line for a forecast the model did not make (pure logic)."""

from __future__ import annotations

from ui.pages.jobs import source_note


def test_a_baseline_forecast_says_which_baseline_and_why() -> None:
    persistence = source_note("persistence")
    line = source_note("line")
    assert persistence is not None and "last value" in persistence
    assert line is not None and "fitted line" in line
    assert "not better than both baselines" in line


def test_the_model_s_own_forecast_and_an_old_job_get_no_line() -> None:
    assert source_note("model") is None
    assert source_note(None) is None
