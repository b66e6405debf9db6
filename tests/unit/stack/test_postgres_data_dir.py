"""A PostgreSQL data dir outside the run dir lives as long as the run dir (file logic
only: no server is started; ``PG_VERSION`` stands for an initialised data dir)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from satmon.settings import Settings
from satmon.stack.postgres import ADOPT_WITHIN_S, OWNER_TOKEN, claim_data_dir


def initialised(data_dir: Path, age_s: float = 0.0) -> Path:
    data_dir.mkdir(parents=True)
    version = data_dir / "PG_VERSION"
    version.write_text("15\n")
    moment = version.stat().st_mtime - age_s
    os.utime(version, (moment, moment))
    return data_dir


def formatted_kafka(run_dir: Path) -> None:
    meta = run_dir / "kafka" / "data" / "meta.properties"
    meta.parent.mkdir(parents=True)
    meta.write_text("cluster.id=x\n")


def test_a_fresh_run_dir_claims_its_data_dir_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(run_dir=tmp_path / "checkout" / ".satmon")
    data_dir = tmp_path / "lib" / "tag" / "postgres"
    claim_data_dir(settings, data_dir)
    initialised(data_dir)
    claim_data_dir(settings, data_dir)  # the next `satmon up`
    assert (data_dir / "PG_VERSION").exists()
    token = (settings.run_dir / OWNER_TOKEN).read_text()
    assert token.strip() and (data_dir.parent / OWNER_TOKEN).read_text() == token


def test_the_data_dir_of_a_removed_run_dir_at_the_same_path_is_removed(tmp_path: Path) -> None:
    settings = Settings(run_dir=tmp_path / "checkout" / ".satmon")
    data_dir = tmp_path / "lib" / "tag" / "postgres"
    claim_data_dir(settings, data_dir)
    initialised(data_dir)
    shutil.rmtree(settings.run_dir)  # `make clean`, or a fresh clone where the old one was
    claim_data_dir(settings, data_dir)
    assert not data_dir.exists()
    assert (settings.run_dir / OWNER_TOKEN).read_text() == (
        data_dir.parent / OWNER_TOKEN
    ).read_text()


def test_a_data_dir_from_before_tokens_is_adopted_only_beside_kafka_of_its_age(
    tmp_path: Path,
) -> None:
    same_age = Settings(run_dir=tmp_path / "a" / ".satmon")
    formatted_kafka(same_age.run_dir)
    kept = initialised(tmp_path / "lib" / "a" / "postgres", age_s=60)
    claim_data_dir(same_age, kept)
    assert (kept / "PG_VERSION").exists()

    newer_kafka = Settings(run_dir=tmp_path / "b" / ".satmon")
    formatted_kafka(newer_kafka.run_dir)
    stale = initialised(tmp_path / "lib" / "b" / "postgres", age_s=ADOPT_WITHIN_S + 3600)
    claim_data_dir(newer_kafka, stale)
    assert not stale.exists()

    no_kafka = Settings(run_dir=tmp_path / "c" / ".satmon")
    orphan = initialised(tmp_path / "lib" / "c" / "postgres")
    claim_data_dir(no_kafka, orphan)
    assert not orphan.exists()


def test_a_data_dir_inside_the_run_dir_is_left_alone(tmp_path: Path) -> None:
    settings = Settings(run_dir=tmp_path / ".satmon")
    data_dir = initialised(settings.run_dir / "postgres")
    claim_data_dir(settings, data_dir)
    assert (data_dir / "PG_VERSION").exists() and not (settings.run_dir / OWNER_TOKEN).exists()
