"""The log store and its shipper: VictoriaLogs (built once from its Go module) and
``python -m satmon.logship``.

VictoriaLogs is built with ``go install`` from the Go module proxy into
``~/.cache/satmon/victorialogs-<version>/`` (``XDG_CACHE_HOME`` moves it), with Go's
module and build caches under ``~/.cache/satmon/go*`` as for the other Go tools: once
per machine and version, by ``make install`` (``python -m satmon.stack.victorialogs``)
or by the first ``satmon up`` that finds it missing. Where that runs without network
(a namespace, CI without the proxy) the cached binary is all it needs.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from satmon.logconfig import configure_logging
from satmon.settings import Settings
from satmon.stack.install import CACHE_DIR, InstallError
from satmon.stack.process import ProcessSpec

log = logging.getLogger(__name__)

VERSION = "1.52.2"
MODULE = "github.com/VictoriaMetrics/VictoriaLogs"
PACKAGE = f"{MODULE}/app/victoria-logs"  # the single-node server
BUILDINFO = "github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version"
FLUSH_INTERVAL = "1s"  # what a SIGKILL can cost at most; the shipper re-sends past it
SHIPPER_STALE_S = 10.0


def binary_path() -> Path:
    return CACHE_DIR / f"victorialogs-{VERSION}" / "victoria-logs"


def ensure_binary(say: Callable[[str], None] = log.info) -> Path:
    """The cached VictoriaLogs binary, built first when missing (needs Go and the proxy)."""
    path = binary_path()
    if path.exists():
        return path
    go = shutil.which("go") or next(
        (p for p in ("/usr/local/go/bin/go", "/usr/lib/go/bin/go") if Path(p).exists()), None
    )
    if go is None:
        raise InstallError(
            f"VictoriaLogs {VERSION} is not built yet and Go is not installed: install Go "
            "(1.21 or newer fetches the toolchain the module asks for) and run `make install`, "
            f"or put a victoria-logs binary at {path}"
        )
    env = {
        **os.environ,
        "GOPATH": str(CACHE_DIR / "go"),
        "GOCACHE": str(CACHE_DIR / "go-build"),
        "GOBIN": str(path.parent),
        "GOFLAGS": "-mod=mod",
        "CGO_ENABLED": "0",
    }
    command = [
        go, "install", "-ldflags", f"-s -w -X {BUILDINFO}=victoria-logs-v{VERSION}",
        f"{PACKAGE}@v{VERSION}",
    ]  # fmt: skip
    say(f"building VictoriaLogs {VERSION} once into {path.parent} (a few minutes)")
    began = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not path.exists():
        raise InstallError(
            f"building VictoriaLogs {VERSION} failed (exit {done.returncode}); it needs the Go "
            f"module proxy, so run `make install` where the network is reachable:\n"
            f"{done.stderr[-2000:]}"
        )
    say(f"VictoriaLogs built in {time.monotonic() - began:.0f} s")
    return path


def victorialogs_spec(settings: Settings) -> ProcessSpec:
    """Single-node VictoriaLogs on its own data dir, JSON logs of its own."""
    binary = ensure_binary()
    port = logs_port(settings)
    data = settings.run_dir / "victorialogs"
    data.mkdir(parents=True, exist_ok=True)
    argv = [
        str(binary),
        f"-storageDataPath={data}",
        f"-retentionPeriod={settings.logs_retention}",
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-inmemoryDataFlushInterval={FLUSH_INTERVAL}",
        "-loggerFormat=json",
        "-loggerLevel=WARN",
        "-memory.allowedBytes=512MiB",
    ]
    return ProcessSpec(
        name="victorialogs",
        argv=argv,
        ports=[port],
        healthy=lambda: victorialogs_healthy(settings),
        start_timeout_s=30,
    )


def shipper_spec(settings: Settings) -> ProcessSpec:
    """The shipper; it waits for VictoriaLogs by itself (the files hold the records)."""
    return ProcessSpec(
        name="log-shipper",
        kind="app",
        argv=[sys.executable, "-m", "satmon.logship"],
        cwd=settings.repo_root,
        healthy=lambda: shipper_healthy(settings),
        start_timeout_s=30,
        stop_timeout_s=15,
    )


def victorialogs_healthy(settings: Settings) -> bool:
    import httpx

    try:
        return httpx.get(f"{settings.logs_url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def shipper_healthy(settings: Settings) -> bool:
    """Its loop ran in the last :data:`SHIPPER_STALE_S` (it writes status.json each second)."""
    status = settings.run_dir / "logship" / "status.json"
    try:
        return time.time() - status.stat().st_mtime < SHIPPER_STALE_S
    except OSError:
        return False


def logs_port(settings: Settings) -> int:
    return int(settings.logs_url.rsplit(":", 1)[1].split("/")[0])


def main() -> None:
    """``python -m satmon.stack.victorialogs``: build the binary unless it is cached."""
    configure_logging("installer", fmt="text")
    try:
        path = ensure_binary()
    except InstallError as exc:
        log.error("%s", exc)
        raise SystemExit(1) from exc
    log.info("VictoriaLogs %s: %s", VERSION, path)


if __name__ == "__main__":
    main()
