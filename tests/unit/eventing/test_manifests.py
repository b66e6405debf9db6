"""Every manifest in eventing/ (and stack.yml) validates against the published CRDs,
made strict so that a misspelt field is caught; the local topology resolves."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from satmon.eventing.crds import (
    CRD_FILES,
    ManifestError,
    find_crd_dir,
    strict_schema,
    strictify,
    validate_document,
)
from satmon.eventing.manifests import build_topology, load_documents, load_topology
from satmon.eventing.openfaas import stack_functions
from satmon.settings import REPO_ROOT

EVENTING = REPO_ROOT / "eventing"
CRDS = find_crd_dir()


def _docs() -> list[dict[str, Any]]:
    return load_documents(EVENTING)


@pytest.mark.parametrize("doc", _docs(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_is_valid(doc: dict[str, Any]) -> None:
    assert CRDS is not None, "eventing/crds/ is missing from the checkout"
    assert validate_document(doc, CRDS) == []


def test_stack_yml_functions_are_valid_openfaas_functions() -> None:
    assert CRDS is not None, "eventing/crds/ is missing from the checkout"
    stack = yaml.safe_load((REPO_ROOT / "stack.yml").read_text())
    functions = stack_functions(stack)
    assert {f["metadata"]["name"] for f in functions} >= {
        "ingress",
        "telemetry-writer",
        "forecaster",
        "result-store",
    }
    for doc in functions:
        assert validate_document(doc, CRDS) == []
    topics = {
        f["metadata"]["name"]: f["spec"].get("annotations", {}).get("topic") for f in functions
    }
    assert topics["telemetry-writer"] == "satellite-telemetry"
    assert topics["forecaster"] == "inference.requests"
    assert "inference.results" in topics["result-store"].split(",")


def _find(kind: str, name: str) -> dict[str, Any]:
    for doc in _docs():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return copy.deepcopy(doc)
    raise AssertionError(f"{kind}/{name} not in eventing/")


@pytest.mark.parametrize(
    ("kind", "name", "mutate", "where"),
    [
        ("KafkaSource", "telemetry-writer", lambda d: d["spec"].update(topic=["x"]), "spec"),
        (
            "KafkaSource",
            "telemetry-writer",
            lambda d: d["spec"]["delivery"].update(retries=3),
            "spec.delivery",
        ),
        (
            "KafkaSource",
            "telemetry-writer",
            lambda d: d["spec"]["delivery"].update(retry="3"),
            "spec.delivery.retry",
        ),
        ("KafkaSource", "telemetry-writer", lambda d: d["spec"].pop("topics"), "topics"),
        (
            "KafkaSource",
            "telemetry-writer",
            lambda d: d["metadata"]["annotations"].update({"satmon.io/batch-max-events": 1000}),
            "metadata.annotations",
        ),
        ("KafkaSource", "telemetry-writer", lambda d: d["metadata"].update(nmae="x"), "metadata"),
        (
            "Service",
            "telemetry-writer",
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imag="x"),
            "spec.template.spec.containers.0",
        ),
        ("Broker", "inference-requests", lambda d: d["spec"].update(confg={}), "spec"),
        ("PingSource", "forecast-schedule", lambda d: d["spec"].update(schedul="x"), "spec"),
        ("Trigger", "forecaster", lambda d: d.update(sepc={}), "<root>"),
        ("Trigger", "forecaster", lambda d: d.update(apiVersion="eventing.knative.dev/v2"), ""),
    ],
)
def test_misspelt_or_mistyped_fields_are_caught(
    kind: str, name: str, mutate: Any, where: str
) -> None:
    assert CRDS is not None, "eventing/crds/ is missing from the checkout"
    doc = _find(kind, name)
    mutate(doc)
    problems = validate_document(doc, CRDS)
    assert problems, f"{kind}/{name} mutation not caught"
    assert any(where in p for p in problems), problems


def test_strictify_respects_preserve_unknown_fields_and_explicit_maps() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"b": {"type": "string"}}},
            "loose": {
                "type": "object",
                "x-kubernetes-preserve-unknown-fields": True,
                "properties": {"c": {"type": "string"}},
            },
            "map": {"type": "object", "additionalProperties": {"type": "string"}},
            "list": {"type": "array", "items": {"type": "object", "properties": {"d": {}}}},
            # a property literally called "properties" must stay a property
            "properties": {"type": "object", "properties": {"e": {"type": "string"}}},
        },
    }
    out = strictify(schema)
    assert out["additionalProperties"] is False
    assert out["properties"]["a"]["additionalProperties"] is False
    assert "additionalProperties" not in out["properties"]["loose"]
    assert out["properties"]["map"]["additionalProperties"] == {"type": "string"}
    assert out["properties"]["list"]["items"]["additionalProperties"] is False
    assert set(out["properties"]) == {"a", "loose", "map", "list", "properties"}
    assert out["properties"]["properties"]["additionalProperties"] is False


def test_trigger_spec_stays_open_as_published() -> None:
    """Trigger.spec preserves unknown fields upstream, so it is not made strict."""
    assert CRDS is not None, "eventing/crds/ is missing from the checkout"
    schema = strict_schema(CRDS, "eventing.knative.dev/v1", "Trigger")
    assert "additionalProperties" not in schema["properties"]["spec"]
    assert schema["additionalProperties"] is False
    assert set(CRD_FILES) >= {("sources.knative.dev/v1", "KafkaSource")}


def test_topology_matches_the_contract() -> None:
    topo = load_topology(EVENTING, validate=CRDS is not None)
    subs = {s.name: s for s in topo.subscriptions}
    assert set(subs) >= {
        "telemetry-writer",
        "forecaster",
        "result-store",
        "result-store-queued",
        "result-store-dead-letters",
        "dead-letter-store",
        "alarm-evaluator",
        "alarm-evaluator-forecasts",
    }
    dls = subs["dead-letter-store"]
    dlq_topics = {"satellite-telemetry.dlq", "inference.requests.dlq", "inference.results.dlq"}
    assert set(dls.topics) == dlq_topics
    assert dls.wrap_invalid and dls.sink.url == "http://127.0.0.1:8086"
    assert not subs["telemetry-writer"].wrap_invalid
    tw = subs["telemetry-writer"]
    assert tw.topics == ("satellite-telemetry",)
    assert tw.sink.url == "http://127.0.0.1:8082"
    assert tw.batched and tw.batch_max_events == 1000 and tw.batch_max_wait_ms == 5.0
    assert not tw.ordered
    assert tw.dead_letter_topic == "satellite-telemetry.dlq"
    assert subs["forecaster"].topics == ("inference.requests",)
    assert subs["forecaster"].max_events_per_second == 100.0
    assert tw.max_events_per_second is None  # telemetry is never held back
    assert subs["forecaster"].sink.url == "http://127.0.0.1:8083"
    assert subs["forecaster"].accept({"type": "dev.knative.sources.ping"})
    assert not subs["forecaster"].accept({"type": "io.satmon.telemetry.v1"})
    rs = subs["result-store"]
    assert rs.ordered and rs.sink.url == "http://127.0.0.1:8084"
    assert rs.dead_letter_topic == "inference.results.dlq"
    assert rs.accept({"type": "io.satmon.forecast.completed.v1"})
    assert rs.accept({"type": "io.satmon.forecast.started.v1"})
    assert not rs.accept({"type": "io.satmon.anomaly.detected.v1"})
    queued = subs["result-store-queued"]
    assert queued.topics == ("inference.requests",) and queued.sink.url == rs.sink.url
    assert queued.accept({"type": "io.satmon.forecast.requested.v1"})
    assert not queued.accept({"type": "dev.knative.sources.ping"})
    dead = subs["result-store-dead-letters"]
    assert dead.topics == ("inference.requests.dlq",) and dead.sink.url == rs.sink.url
    assert topo.services["ingress"].url == "http://127.0.0.1:8081"
    (ping,) = [p for p in topo.pings if p.name == "forecast-schedule"]
    assert ping.schedule == "* * * * *"
    assert ping.sink.topic == "inference.requests"  # type: ignore[union-attr]


@pytest.mark.parametrize("rate", ["0", "-5", "fast", "inf"])
def test_a_bad_rate_annotation_is_refused(rate: str) -> None:
    docs = copy.deepcopy(_docs())
    for d in docs:
        if d["kind"] == "Trigger" and d["metadata"]["name"] == "forecaster":
            d["metadata"]["annotations"]["satmon.io/max-events-per-second"] = rate
    with pytest.raises(ManifestError, match=r"forecaster.*(annotation|max-events-per-second)"):
        build_topology(docs)


def test_unresolvable_references_are_refused() -> None:
    docs = [d for d in _docs() if d["kind"] != "Service" or d["metadata"]["name"] != "forecaster"]
    with pytest.raises(ManifestError, match="Service 'forecaster' is not among the manifests"):
        build_topology(docs)
    docs = copy.deepcopy(_docs())
    for d in docs:
        if d["kind"] == "Service":
            d["metadata"]["annotations"].pop("satmon.io/local-port")
    with pytest.raises(ManifestError, match=r"satmon\.io/local-port"):
        build_topology(docs)
