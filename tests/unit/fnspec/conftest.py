"""A scratch copy of the checkout's function descriptions and manifests, to edit freely."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checkout import copy_checkout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return copy_checkout(tmp_path / "repo")
