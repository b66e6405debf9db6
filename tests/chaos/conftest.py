"""Collect each drill's row; print the summary table at the end and keep it in the run dir."""

from __future__ import annotations

from typing import Any

import pytest

from satmon.settings import get_settings
from tests.chaos.drills import DrillRow
from tests.chaos.report import table
from tests.integration.conftest import vm  # noqa: F401  (the real VictoriaMetrics)

ROWS: list[DrillRow] = []


@pytest.fixture
def drill_rows() -> list[DrillRow]:
    return ROWS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not ROWS:
        return
    text = table(ROWS)
    terminalreporter.write_sep("=", "fault drills")
    terminalreporter.write(text)
    path = get_settings().run_dir / "drills.md"
    path.write_text(text)
    terminalreporter.write_line(f"(also in {path})")
