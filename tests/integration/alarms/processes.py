"""An alarm-evaluator and a dispatcher of its own, as real processes a test may kill -9:
the evaluator as the launcher starts it (``python -m satmon.fnhost``), the dispatcher
as ``satmon eventing dispatch`` over manifests that copy the alarm-evaluator Trigger
onto a test topic."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from satmon.settings import REPO_ROOT

MANIFESTS = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: test-alarm-evaluator
  annotations:
    satmon.io/local-port: "{port}"
spec:
  template:
    spec:
      containers:
        - image: example.invalid/alarm-evaluator:0
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: test-telemetry
  annotations:
    eventing.knative.dev/broker.class: Kafka
    kafka.eventing.knative.dev/external.topic: {topic}
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: test-telemetry-dlq
  annotations:
    eventing.knative.dev/broker.class: Kafka
    kafka.eventing.knative.dev/external.topic: {topic}.dlq
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: test-alarm-evaluator-{topic}
  annotations:
    kafka.eventing.knative.dev/delivery.order: ordered
    satmon.io/batch-max-events: "{batch}"
    satmon.io/batch-max-wait-ms: "5"
spec:
  broker: test-telemetry
  filters:
    - exact:
        type: io.satmon.telemetry.v1
  delivery:
    retry: 200
    backoffPolicy: linear
    backoffDelay: PT0.02S
    timeout: PT10S
    deadLetterSink:
      ref:
        apiVersion: eventing.knative.dev/v1
        kind: Broker
        name: test-telemetry-dlq
  subscriber:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: test-alarm-evaluator
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_evaluator(port: int) -> subprocess.Popen[bytes]:
    """The alarm-evaluator on ``port``; returns once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "satmon.fnhost", "--source",
         str(REPO_ROOT / "functions" / "alarm-evaluator" / "main.py"),
         "--target", "evaluate_alarms", "--port", str(port)],
        cwd=REPO_ROOT, env={**os.environ, "SATMON_LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            if process.poll() is not None:
                raise AssertionError("the alarm-evaluator exited at start") from None
        time.sleep(0.1)
    raise AssertionError("the alarm-evaluator did not answer within 60 s")


def write_manifests(folder: Path, port: int, topic: str, batch: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alarm-test.yaml").write_text(MANIFESTS.format(port=port, topic=topic, batch=batch))
    return folder


def start_dispatcher(folder: Path, duplicate_rate: float = 0.0) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "satmon.eventing", "dispatch", "--manifests", str(folder),
         "--no-pings", "--log-level", "WARNING", "--duplicate-rate", str(duplicate_rate)],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def kill9(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process and its children (its own session: gunicorn's workers too)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            kill9(process)
