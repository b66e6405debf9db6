"""One module per page; :func:`register` adds them all to the app."""

from __future__ import annotations

import importlib

PAGES = (
    "overview",
    "trends",
    "statistics",
    "live",
    "ground_track",
    "alarms",
    "jobs",
    "search",
    "pipeline",
    "logs",
)


def register() -> None:
    for name in PAGES:
        importlib.import_module(f"ui.pages.{name}").register()
