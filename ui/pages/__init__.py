"""One module per page; :func:`register` adds them all to the app."""

from __future__ import annotations


def register() -> None:
    from ui.pages import (
        alarms,
        ground_track,
        jobs,
        live,
        overview,
        pipeline,
        search,
        statistics,
        trends,
    )

    for page in (overview, trends, statistics, live, ground_track, alarms, jobs, search, pipeline):
        page.register()
