"""At least once across a crash: the CLI dispatcher (reading manifests) is SIGKILLed
mid-way and restarted; every event still arrives, and SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.eventing.support import (
    Sink,
    committed_total,
    fresh_topic,
    http_sink,
    produce,
    wait_for,
)

pytestmark = pytest.mark.integration

MANIFESTS = """\
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: test-sink
  annotations:
    satmon.io/local-port: "{port}"
spec:
  template:
    spec:
      containers:
        - image: example.invalid/test-sink:0
---
apiVersion: eventing.knative.dev/v1
kind: Broker
metadata:
  name: test-dlq
  annotations:
    eventing.knative.dev/broker.class: Kafka
    kafka.eventing.knative.dev/external.topic: {topic}.dlq
---
apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata:
  name: restart-test
spec:
  bootstrapServers: ["127.0.0.1:9092"]
  topics: ["{topic}"]
  consumerGroup: {group}
  initialOffset: earliest
  ordering: ordered
  delivery:
    retry: 3
    backoffPolicy: linear
    backoffDelay: PT0.05S
    timeout: PT5S
    deadLetterSink:
      ref:
        apiVersion: eventing.knative.dev/v1
        kind: Broker
        name: test-dlq
  sink:
    ref:
      apiVersion: serving.knative.dev/v1
      kind: Service
      name: test-sink
"""


def _start(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "satmon.eventing",
            "dispatch",
            "--manifests",
            str(folder),
            "--no-pings",
            "--log-level",
            "WARNING",
        ],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_kill_and_restart_loses_nothing(kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = fresh_topic(partitions=3)
    group = f"restart-{uuid.uuid4().hex[:8]}"
    ids = [f"r-{i:04d}" for i in range(600)]
    produce(topic, ids, key=None)
    with http_sink(Sink(delay=0.02)) as sink:
        port = sink.url.rsplit(":", 1)[1]
        (tmp_path / "test.yaml").write_text(MANIFESTS.format(port=port, topic=topic, group=group))

        first = _start(tmp_path)
        try:
            wait_for(lambda: len(sink.ids()) >= 60, 30, "60 deliveries before the kill")
            # and a first commit (asynchronous, every 0.2 s: on a loaded host it can
            # trail the deliveries), so the kill lands between two commits
            wait_for(
                lambda: committed_total(group, topic, 3) > 0,
                10,
                "a first commit before the kill",
            )
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        delivered_before = len(set(sink.ids()))
        assert delivered_before < len(ids), "the kill came too late to prove anything"
        committed_before = committed_total(group, topic, 3)
        assert 0 < committed_before <= delivered_before  # commits trail deliveries

        second = _start(tmp_path)
        try:
            wait_for(lambda: set(sink.ids()) == set(ids), 60, "every event after the restart")
            wait_for(lambda: committed_total(group, topic, 3) == len(ids), 10, "final commit")
        finally:
            second.send_signal(signal.SIGTERM)
            rc = second.wait(30)
            stderr = second.stderr.read().decode() if second.stderr else ""
        assert rc == 0, stderr
    # redelivered: only what was delivered after the last commit before the kill
    assert len(sink.ids()) - len(ids) <= delivered_before - committed_before + 3
