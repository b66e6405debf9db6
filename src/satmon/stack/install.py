"""Install what the stack needs on a Debian machine: system packages and the Kafka jars.

As root, missing Debian packages are installed with apt-get. Otherwise the launcher
stops and prints the exact command to run. Kafka's jars are resolved by Maven from the
small pom in ``stack/kafka`` (cached in ~/.m2) and copied once per Kafka version into
``~/.cache/satmon/kafka-<version>``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from satmon.errors import SatmonError

log = logging.getLogger(__name__)
KAFKA_DIR = Path(__file__).with_name("kafka")
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "satmon"


@dataclass(frozen=True)
class Requirement:
    """A file the stack needs and the Debian package that provides it."""

    path: str
    package: str


REQUIREMENTS = (
    Requirement("/usr/bin/victoria-metrics", "victoria-metrics"),
    Requirement("/usr/bin/java", "openjdk-17-jre-headless"),
    Requirement("/usr/bin/mvn", "maven"),
    Requirement("/usr/lib/postgresql", "postgresql"),
)


BROWSER = Requirement("/usr/bin/chromium", "chromium")
"""Headless Chromium for the dashboard's browser tests (Playwright drives it)."""


class InstallError(SatmonError):
    pass


def missing_packages(requirements: tuple[Requirement, ...] = REQUIREMENTS) -> list[str]:
    return [r.package for r in requirements if not Path(r.path).exists()]


def ensure_browser() -> Path:
    """Debian's Chromium, installed as root when missing (the browser tests call this)."""
    ensure_system_packages((BROWSER,))
    return Path(BROWSER.path)


def ensure_system_packages(requirements: tuple[Requirement, ...] = REQUIREMENTS) -> list[str]:
    """Install missing Debian packages as root; otherwise fail with the command to run."""
    missing = missing_packages(requirements)
    if not missing:
        return []
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if os.geteuid() != 0:
        raise InstallError(
            "missing Debian packages: "
            + ", ".join(missing)
            + "\nrun:  sudo apt-get update && sudo "
            + " ".join(command)
        )
    log.info("installing %s", " ".join(missing))
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(command, check=True, env=env)
    return missing


def postgres_bin_dir() -> Path:
    """The newest Debian PostgreSQL server binaries (``/usr/lib/postgresql/<v>/bin``)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise InstallError("PostgreSQL server binaries not found: apt-get install postgresql")
    return candidates[-1].parent


def kafka_classpath() -> Path:
    """Folder holding the broker's jars; resolved by Maven on first use, then cached."""
    pom = KAFKA_DIR / "pom.xml"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    libs = CACHE_DIR / f"kafka-{digest}" / "libs"
    if (libs.parent / "complete").exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InstallError("Maven not found: apt-get install maven")
    if libs.exists():
        shutil.rmtree(libs)
    log.info("resolving Kafka jars with Maven into %s", libs)
    result = subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={libs}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise InstallError(
            "Maven could not resolve the Kafka jars:\n"
            + result.stdout[-3000:]
            + result.stderr[-2000:]
        )
    (libs.parent / "complete").write_text(digest)
    return libs
