"""Benchmark processes: the telemetry-writer under test, its CPU time, and the clean-up."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from satmon.clients.kafka import make_admin
from satmon.clients.vm import VictoriaMetrics
from satmon.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Writer:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_writer(
    root: Path, workers: int, log_level: str = "WARNING", log_file: Path | None = None
) -> Writer:
    """The telemetry-writer on a free port, via the function host (batched mode on);
    its records at ``log_level`` (``off``: none) go to ``log_file`` as JSON lines, as the
    launcher keeps a component's (default: discarded)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "WORKERS": str(workers), "SATMON_LOG_LEVEL": log_level}
    env["SATMON_LOG_COMPONENT"] = "telemetry-writer"
    sink = log_file.open("ab") if log_file is not None else None
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satmon.fnhost",
            "--source",
            str(root / "functions/telemetry-writer/main.py"),
            "--target",
            "write_telemetry",
            "--port",
            str(port),
        ],
        env=env,
        stdout=sink or subprocess.DEVNULL,
        stderr=sink or subprocess.DEVNULL,
    )
    if sink is not None:
        sink.close()  # the child holds its own descriptor
    url = f"http://127.0.0.1:{port}"
    _wait_http(url, process, lambda r: r.status_code == 200)
    return Writer(process, url)


def _wait_http(
    url: str,
    process: subprocess.Popen[bytes],
    ok: Callable[[httpx.Response], bool],
    timeout: float = 60.0,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"telemetry-writer exited with {process.returncode}")
        try:
            response = httpx.post(
                url,
                content=b"[]",
                timeout=2.0,
                headers={"Content-Type": "application/cloudevents-batch+json"},
            )
            if ok(response):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"telemetry-writer not answering at {url}")


def proc_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its children, from /proc (Linux)."""
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
        for one in pids:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def cleanup(settings: Settings, vm: VictoriaMetrics, topics: list[str], run_id: str) -> None:
    """Delete the run's topics and series; each step on its own, so that a slow topic
    deletion does not leave the series behind (cleanup must not hide the results)."""
    try:
        if topics:
            admin = make_admin(settings)
            for future in admin.delete_topics(topics).values():
                future.result(30)
    except Exception as exc:
        log.warning("bench topics not all deleted: %s", exc)
    try:
        delete_series(settings.vm_url, f"BENCH-{run_id}")
    except Exception as exc:
        log.warning("bench series not deleted: %s", exc)


def delete_series(vm_url: str, prefix: str) -> None:
    """Delete every series of the satellites whose ids start with ``prefix``: also the
    way to take a fleet out of the forecaster's active satellites (any sample in its last
    ``ACTIVE_LOOKBACK_S``), which would otherwise forecast and learn thresholds for it."""
    httpx.post(
        f"{vm_url}/api/v1/admin/tsdb/delete_series",
        params={"match[]": f'{{satellite_id=~"{prefix}.*"}}'},
        timeout=30,
    ).raise_for_status()
