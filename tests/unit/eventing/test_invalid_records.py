"""A record that is not a CloudEvent, wrapped as Knative's KafkaSource wraps it."""

import pytest

from satmon.eventing.invalid_records import WRAPPED_TYPE, wrap_invalid_record
from satmon.eventing.manifests import ManifestError, load_topology
from satmon.eventing.records import batch_json, decode

POISON_HEADERS = [
    ("ce_id", b"e-1"),
    ("ce_source", b"/satellites/SAT-1"),
    ("ce_type", b"io.satmon.telemetry.v1"),
    ("ce_comment", b"caf\xe9"),  # Latin-1: not UTF-8
    ("content-type", b"Application/JSON"),
    ("ce_satmonreason", b"undeliverable record: header is not valid UTF-8"),
]


def test_a_poison_record_becomes_a_knative_kafka_event():
    env = decode(
        "satellite-telemetry.dlq", 2, 17, b"SAT-1", b'{"a": 1}', POISON_HEADERS, 1_700_000_000_123
    )
    assert env.error is not None
    wrapped = wrap_invalid_record(env, "dead-letter-store", "satmon")
    assert wrapped.error is None
    attrs = wrapped.attrs
    assert (attrs["type"], attrs["id"], attrs["subject"]) == (
        WRAPPED_TYPE,
        "partition:2/offset:17",
        "partition:2#17",
    )
    assert (
        attrs["source"]
        == "/apis/v1/namespaces/satmon/kafkasources/dead-letter-store#satellite-telemetry.dlq"
    )
    assert attrs["time"] == "2023-11-14T22:13:20.123Z"
    assert attrs["key"] == attrs["partitionkey"] == "SAT-1"
    assert attrs["kafkaheaderceid"] == "e-1"
    assert attrs["kafkaheadercecomment"] == "caf\ufffd"
    assert attrs["kafkaheadercesatmonreason"].startswith("undeliverable record")
    assert attrs["datacontenttype"] == "application/json"
    assert wrapped.json_data and wrapped.data == b'{"a": 1}'
    assert b'"data":{"a": 1}' in batch_json([wrapped])


def test_control_characters_of_a_poison_record_become_replacement_characters():
    headers = [
        *POISON_HEADERS[:3],
        ("ce_specversion", b"1.0"),
        ("ce_subject", b"a\x00b\nc\x7f\xc2\x85"),
    ]
    env = decode("t.dlq", 0, 3, b"K\x01", b'{"a": 1}', headers, 1_700_000_000_000)
    assert "control character" in (env.error or "")
    attrs = wrap_invalid_record(env, "s", "ns").attrs
    assert attrs["kafkaheadercesubject"] == "a\ufffdb\ufffdc\ufffd\ufffd"
    assert attrs["key"] == "K\ufffd"


def test_a_value_that_is_not_json_travels_as_base64():
    env = decode("t.dlq", 0, 1, None, b"{not json", [("content-type", b"application/json")])
    wrapped = wrap_invalid_record(env, "s", "ns")
    assert not wrapped.json_data and "key" not in wrapped.attrs
    assert b'"data_base64":"e25vdCBqc29u"' in batch_json([wrapped])


def test_the_annotation_is_wrap_or_dead_letter(tmp_path):
    manifest = """
apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata:
  name: s
  namespace: satmon
  annotations: {"satmon.io/invalid-records": "%s"}
spec:
  topics: [t]
  sink: {uri: "http://127.0.0.1:9/"}
"""
    (tmp_path / "s.yaml").write_text(manifest % "wrap")
    [sub] = load_topology(tmp_path, validate=False).subscriptions
    assert sub.wrap_invalid and sub.namespace == "satmon"
    (tmp_path / "s.yaml").write_text(manifest % "drop")
    with pytest.raises(ManifestError, match="invalid-records"):
        load_topology(tmp_path, validate=False)
