"""What every page of one dashboard process shares: the API client and the live hub."""

from __future__ import annotations

from dataclasses import dataclass

from ui.api_client import ApiClient
from ui.hub import LiveHub


@dataclass
class Services:
    api: ApiClient
    hub: LiveHub


_current: Services | None = None


def install(services: Services) -> None:
    global _current
    _current = services


def get() -> Services:
    if _current is None:
        raise RuntimeError("the dashboard's services are not started (ui.app.build first)")
    return _current
