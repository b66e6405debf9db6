"""Shared fixtures. Integration tests need the real servers that `satmon up` starts."""

from __future__ import annotations

import pytest

from satmon.settings import Settings, get_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return get_settings()
