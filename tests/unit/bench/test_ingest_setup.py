"""The ingest comparison's set-ups: Telegraf's configuration and satmon's re-pointed manifests."""

import tomllib
from pathlib import Path

import pytest

from bench.pipeline import telegraf
from bench.pipeline.ingest import write_manifests
from satmon.eventing.manifests import load_topology
from satmon.settings import REPO_ROOT


@pytest.mark.parametrize("setup", telegraf.SETUPS)
def test_telegraf_config_reads_the_topic_and_writes_satmon_metric_names(setup: str) -> None:
    text = telegraf.config(
        setup, brokers="127.0.0.1:9092", topic="t1", group="g1", vm_url="http://127.0.0.1:8428"
    )
    conf = tomllib.loads(text)
    (kafka,) = conf["inputs"]["kafka_consumer"]
    assert (kafka["topics"], kafka["consumer_group"], kafka["offset"]) == (["t1"], "g1", "oldest")
    assert kafka["name_override"] == "satellite"  # → satellite_<field> in VictoriaMetrics
    assert conf["agent"]["metric_batch_size"] == telegraf.BATCH_SIZE
    if setup == "telegraf-http":
        assert kafka["data_format"] == "json"
        assert kafka["tag_keys"] == ["satellite_id"]
        assert kafka["json_time_key"] == "timestamp"
        (http,) = conf["outputs"]["http"]
        assert (http["url"], http["data_format"]) == ("http://127.0.0.1:8428/write", "influx")
    else:
        assert kafka["data_format"] == "json_v2"
        (v2,) = kafka["json_v2"]
        assert v2["timestamp_path"] == "timestamp"
        assert [t["path"] for t in v2["tag"]] == ["satellite_id"]
        assert len(v2["field"]) == 7
        (influx,) = conf["outputs"]["influxdb"]
        assert influx["urls"] == ["http://127.0.0.1:8428"]


def test_unknown_telegraf_setup_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown Telegraf set-up"):
        telegraf.config("telegraf-x", brokers="b", topic="t", group="g", vm_url="u")


def test_satmon_manifests_are_the_telemetry_source_re_pointed(tmp_path: Path) -> None:
    write_manifests(
        REPO_ROOT / "eventing", tmp_path, "bench-t", "bench-g", "http://127.0.0.1:45678"
    )
    topology = load_topology(tmp_path)
    (sub,) = topology.subscriptions
    original = load_topology(REPO_ROOT / "eventing").subscription("telemetry-writer")
    assert sub.name == "telemetry-writer"
    assert (sub.topics, sub.group) == (("bench-t",), "bench-g")
    assert sub.sink.url == "http://127.0.0.1:45678"
    assert sub.dead_letter_topic == "bench-t.dlq"
    assert (sub.batch_max_events, sub.max_in_flight, sub.delivery, sub.ordered) == (
        original.batch_max_events,
        original.max_in_flight,
        original.delivery,
        original.ordered,
    )
