"""A scratch copy of the checkout's function descriptions and manifests, to edit freely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from satmon.settings import REPO_ROOT


def copy_checkout(dest: Path) -> Path:
    """functions/, eventing/ (without the CRDs) and stack.yml of this checkout, under dest."""
    shutil.copytree(
        REPO_ROOT / "functions", dest / "functions", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copytree(
        REPO_ROOT / "eventing", dest / "eventing", ignore=shutil.ignore_patterns("crds")
    )
    shutil.copy(REPO_ROOT / "stack.yml", dest / "stack.yml")
    return dest


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return copy_checkout(tmp_path / "repo")
