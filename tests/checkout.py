"""A scratch copy of this checkout's functions and manifests, to change freely in a test
(commands read it through ``SATMON_REPO_ROOT``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from satmon.settings import REPO_ROOT


def copy_checkout(dest: Path) -> Path:
    """functions/, eventing/ (without the CRDs), stack.yml and pyproject.toml under dest,
    and src/ linked, so that tools read it as they read this checkout."""
    skip = shutil.ignore_patterns("__pycache__", "crds")
    shutil.copytree(REPO_ROOT / "functions", dest / "functions", ignore=skip)
    shutil.copytree(REPO_ROOT / "eventing", dest / "eventing", ignore=skip)
    for name in ("stack.yml", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, dest / name)
    (dest / "src").symlink_to(REPO_ROOT / "src", target_is_directory=True)
    return dest
