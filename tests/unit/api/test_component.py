"""The launcher knows the API as component ``api``: ``python -m satmon.api`` on its port,
healthy when ``/readyz`` says so."""

from __future__ import annotations

import sys

from satmon.settings import get_settings
from satmon.stack.components import COMPONENTS


def test_api_component_runs_the_module_on_its_port() -> None:
    settings = get_settings()
    component = COMPONENTS["api"]
    spec = component.build(settings)
    assert component.tier == "app" and component.default
    address = ["--host", settings.api_host, "--port", str(settings.api_port)]
    assert list(spec.argv) == [sys.executable, "-m", "satmon.api", *address]
    assert list(spec.ports) == [settings.api_port] == [8000]
