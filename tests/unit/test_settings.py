"""Settings a cluster needs: secrets as files (OpenFaaS mounts them so) and Triton's host."""

from __future__ import annotations

from pathlib import Path

import pytest

from satmon.settings import Settings, get_settings


def test_secrets_are_read_from_the_secrets_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "satmon_pg_password").write_text("from-a-file")
    (tmp_path / "satmon_api_token").write_text("token-from-a-file")
    monkeypatch.setenv("SATMON_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("SATMON_PG_PASSWORD", raising=False)
    monkeypatch.delenv("SATMON_API_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert (settings.pg_password, settings.api_token) == ("from-a-file", "token-from-a-file")
    finally:
        get_settings.cache_clear()


def test_triton_is_reached_at_its_host() -> None:
    assert Settings(triton_host="triton.satmon", triton_http_port=8000).triton_http_url == (
        "triton.satmon:8000"
    )
    assert Settings().triton_http_url.startswith("127.0.0.1:")
