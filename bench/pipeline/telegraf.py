"""Telegraf, what a user would run instead of satmon to get Kafka JSON into VictoriaMetrics.

Built from its Go module at a pinned version with only the plugins the two set-ups
need (Telegraf's ``custom`` build tags), into ``~/.cache/satmon/telegraf-<version>-<tags>``
(``XDG_CACHE_HOME`` moves it), once; the Go module and build caches live under
``~/.cache/satmon/go``. The build downloads modules, so it needs the Go module proxy:
where the bench runs without network, build first with ``python -m bench.pipeline.telegraf``.

Two set-ups, both reading the telemetry JSON (``satellite_id`` as tag, the
``timestamp`` field as the sample time, the seven numbers as fields of measurement
``satellite``, so VictoriaMetrics names them ``satellite_<field>`` as satmon does):

* ``telegraf-http`` — the fastest one for this data: the ``json`` parser and
  ``outputs.http`` posting line protocol to VictoriaMetrics' ``/write``, batches of
  10,000, flushed every 100 ms;
* ``telegraf-influxdb`` — the one most documentation shows: the ``json_v2`` parser
  and ``outputs.influxdb``.

Both commit Kafka offsets only once the output wrote the metrics (Telegraf's tracking
metrics), as satmon does.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

VERSION = "1.37.2"
MODULE = "github.com/influxdata/telegraf/cmd/telegraf"
PLUGINS = (
    "inputs.kafka_consumer",
    "parsers.json",
    "parsers.json_v2",
    "outputs.http",
    "outputs.influxdb",
    "serializers.influx",
)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "satmon"
BATCH_SIZE = 10_000
SETUPS = ("telegraf-http", "telegraf-influxdb")
METRIC_FIELDS = ("temperature", "altitude", "velocity", "battery", "solar_power")
POSITION_FIELDS = ("latitude", "longitude")


def binary_path() -> Path:
    tags = ",".join(("custom", *PLUGINS))
    digest = hashlib.sha256(tags.encode()).hexdigest()[:8]
    return CACHE / f"telegraf-{VERSION}-{digest}" / "telegraf"


def ensure_binary() -> Path:
    """The cached Telegraf binary, built first when missing (needs Go and the module proxy)."""
    path = binary_path()
    if path.exists():
        return path
    go = shutil.which("go") or "/usr/local/go/bin/go"
    if not Path(go).exists():
        raise RuntimeError("building Telegraf needs Go (>= 1.25) on PATH")
    env = {
        **os.environ,
        "GOPATH": str(CACHE / "go"),
        "GOCACHE": str(CACHE / "go-build"),
        "GOBIN": str(path.parent),
        "GOFLAGS": "-mod=mod",
        "CGO_ENABLED": "0",
    }
    command = [
        go,
        "install",
        "-tags",
        ",".join(("custom", *PLUGINS)),
        "-ldflags",
        "-s -w",
        f"{MODULE}@v{VERSION}",
    ]
    print(f"building Telegraf {VERSION} (once): {' '.join(command)}", file=sys.stderr)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not path.exists():
        raise RuntimeError(
            f"building Telegraf failed (exit {done.returncode}); where this runs without "
            f"network, build it first outside with `python -m bench.pipeline.telegraf`:\n"
            f"{done.stderr[-2000:]}"
        )
    return path


def config(setup: str, *, brokers: str, topic: str, group: str, vm_url: str) -> str:
    """Telegraf's TOML for one of :data:`SETUPS`, reading ``topic`` as consumer ``group``."""
    if setup not in SETUPS:
        raise ValueError(f"unknown Telegraf set-up {setup!r}; known: {SETUPS}")
    agent = f"""
[agent]
  interval = "10s"
  round_interval = false
  metric_batch_size = {BATCH_SIZE}
  metric_buffer_limit = {10 * BATCH_SIZE}
  flush_interval = "100ms"
  flush_jitter = "0s"
  omit_hostname = true
  quiet = true
"""
    kafka = f"""
[[inputs.kafka_consumer]]
  brokers = ["{brokers}"]
  topics = ["{topic}"]
  consumer_group = "{group}"
  offset = "oldest"
  kafka_version = "3.6.0"
  max_undelivered_messages = {2 * BATCH_SIZE}
  name_override = "satellite"
"""
    fields = METRIC_FIELDS + POSITION_FIELDS
    if setup == "telegraf-http":
        return (
            agent
            + kafka
            + """  data_format = "json"
  tag_keys = ["satellite_id"]
  json_time_key = "timestamp"
  json_time_format = "2006-01-02T15:04:05Z07:00"
"""
            + f"""
[[outputs.http]]
  url = "{vm_url}/write"
  method = "POST"
  data_format = "influx"
  timeout = "10s"
"""
        )
    v2_fields = "".join(
        f"""    [[inputs.kafka_consumer.json_v2.field]]
      path = "{name}"
      type = "float"
"""
        for name in fields
    )
    return (
        agent
        + kafka
        + """  data_format = "json_v2"
  [[inputs.kafka_consumer.json_v2]]
    measurement_name = "satellite"
    timestamp_path = "timestamp"
    timestamp_format = "2006-01-02T15:04:05Z07:00"
    [[inputs.kafka_consumer.json_v2.tag]]
      path = "satellite_id"
"""
        + v2_fields
        + f"""
[[outputs.influxdb]]
  urls = ["{vm_url}"]
  database = "telegraf"
  skip_database_creation = true
  timeout = "10s"
"""
    )


def start(binary: Path, config_path: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(binary), "--config", str(config_path)], stdout=log, stderr=subprocess.STDOUT
        )


if __name__ == "__main__":
    print(ensure_binary())
