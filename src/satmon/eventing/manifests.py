"""Load the ``eventing/`` manifests, validate them against the published CRDs, resolve sinks.

The manifests are the source of truth for the cluster and for the local dispatcher:

* ``KafkaSource`` (sources.knative.dev) and ``Trigger`` (eventing.knative.dev) become
  :class:`~satmon.eventing.topology.Subscription` objects (topics, consumer group,
  sink, delivery, ordering, filters, batching).
* ``Broker`` (class Kafka, annotation ``kafka.eventing.knative.dev/external.topic``) is,
  locally, just the Kafka topic it stores events in. A sink or dead-letter sink that
  refers to a Broker produces to that topic.
* ``Service`` (serving.knative.dev) gives a function's local URL through the annotation
  ``satmon.io/local-port`` (``http://127.0.0.1:<port>``).
* ``PingSource`` becomes a :class:`~satmon.eventing.topology.PingSpec` for
  :mod:`satmon.eventing.ping`.

Validation against the strict CRD schemas lives in :mod:`satmon.eventing.crds`; the
OpenFaaS ``stack.yml`` in :mod:`satmon.eventing.openfaas`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from satmon.eventing.crds import ManifestError, find_crd_dir, validate_document
from satmon.eventing.delivery import DeliveryPolicy
from satmon.eventing.filters import compile_filters
from satmon.eventing.topology import (
    HttpSink,
    PingSpec,
    Sink,
    Subscription,
    TopicSink,
    Topology,
)

log = logging.getLogger(__name__)

ANN_LOCAL_PORT = "satmon.io/local-port"
ANN_BATCH_MAX_EVENTS = "satmon.io/batch-max-events"
ANN_BATCH_MAX_WAIT_MS = "satmon.io/batch-max-wait-ms"
ANN_MAX_IN_FLIGHT = "satmon.io/max-in-flight"
ANN_MAX_EVENTS_PER_SECOND = "satmon.io/max-events-per-second"
ANN_INITIAL_OFFSET = "satmon.io/initial-offset"
ANN_INVALID_RECORDS = "satmon.io/invalid-records"
"""KafkaSource: ``wrap`` delivers records that are not CloudEvents as Knative does
(``eventing.invalid_records``); ``dead-letter`` (the default) dead-letters them."""
ANN_EXTERNAL_TOPIC = "kafka.eventing.knative.dev/external.topic"
ANN_DELIVERY_ORDER = "kafka.eventing.knative.dev/delivery.order"
DEFAULT_NAMESPACE = "default"

# --- loading -------------------------------------------------------------------------------


def load_documents(folder: Path | str) -> list[dict[str, Any]]:
    """Every YAML document of ``folder/*.yaml`` (sorted), each tagged with its file name."""
    docs: list[dict[str, Any]] = []
    paths = sorted(Path(folder).glob("*.yaml")) + sorted(Path(folder).glob("*.yml"))
    if not paths:
        raise ManifestError(f"no manifests (*.yaml) in {folder}")
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            for doc in yaml.safe_load_all(handle):
                if doc is None:
                    continue
                if not isinstance(doc, dict):
                    raise ManifestError(f"{path.name}: a manifest must be a mapping")
                doc = dict(doc)
                doc["__file__"] = path.name
                docs.append(doc)
    return docs


def load_topology(
    folder: Path | str, validate: bool = True, crd_dir: Path | None = None
) -> Topology:
    """Load, validate (when the CRDs are found) and resolve the manifests of ``folder``."""
    docs = load_documents(folder)
    if validate:
        crds = crd_dir or find_crd_dir()
        if crds is None:
            log.warning("CRD schemas not found (set SATMON_CRD_DIR); skipping validation")
        else:
            problems = [p for doc in docs for p in validate_document(doc, crds)]
            if problems:
                raise ManifestError("invalid manifests:\n  " + "\n  ".join(problems))
    return build_topology(docs)


def build_topology(documents: Iterable[Mapping[str, Any]]) -> Topology:
    docs = [dict(d) for d in documents]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(str(doc.get("kind")), []).append(doc)
    services = {_name(d): _service_sink(d) for d in by_kind.get("Service", [])}
    brokers = {_name(d): _broker_topic(d) for d in by_kind.get("Broker", [])}
    broker_delivery = {
        _name(d): d.get("spec", {}).get("delivery") for d in by_kind.get("Broker", [])
    }
    resolver = _Resolver(services, brokers)
    subs = [_kafka_source(d, resolver) for d in by_kind.get("KafkaSource", [])]
    subs += [_trigger(d, resolver, brokers, broker_delivery) for d in by_kind.get("Trigger", [])]
    pings = [_ping(d, resolver) for d in by_kind.get("PingSource", [])]
    return Topology(docs, services, brokers, subs, pings)


# --- resolution ----------------------------------------------------------------------------


class _Resolver:
    def __init__(self, services: Mapping[str, HttpSink], brokers: Mapping[str, TopicSink]):
        self.services = services
        self.brokers = brokers

    def sink(self, dest: Mapping[str, Any] | None, where: str) -> Sink:
        """A Knative Destination (``ref`` and/or ``uri``) → local HTTP URL or Kafka topic."""
        if not dest:
            raise ManifestError(f"{where}: no sink")
        ref, uri = dest.get("ref"), dest.get("uri")
        if ref:
            kind, name = ref.get("kind"), str(ref.get("name"))
            if kind == "Service":
                if name not in self.services:
                    raise ManifestError(f"{where}: Service {name!r} is not among the manifests")
                base = self.services[name]
                return HttpSink(base.url + _path(uri), name) if uri else base
            if kind == "Broker":
                if name not in self.brokers:
                    raise ManifestError(f"{where}: Broker {name!r} is not among the manifests")
                return self.brokers[name]
            raise ManifestError(f"{where}: sink kind {kind!r} cannot run locally")
        if uri and "://" in uri:
            return HttpSink(uri, uri)
        raise ManifestError(f"{where}: sink needs a ref or an absolute uri")

    def http(self, dest: Mapping[str, Any] | None, where: str) -> HttpSink:
        sink = self.sink(dest, where)
        if not isinstance(sink, HttpSink):
            raise ManifestError(f"{where}: subscriber must be an HTTP addressable (a Service)")
        return sink

    def dead_letter_topic(self, delivery: Mapping[str, Any] | None, where: str) -> str | None:
        dls = (delivery or {}).get("deadLetterSink")
        if not dls:
            return None
        sink = self.sink(dls, f"{where}.delivery.deadLetterSink")
        if isinstance(sink, TopicSink):
            return sink.topic
        raise ManifestError(f"{where}: locally a deadLetterSink must be a Broker (a Kafka topic)")


def _kafka_source(doc: Mapping[str, Any], resolver: _Resolver) -> Subscription:
    name, ns, ann = _name(doc), _namespace(doc), _annotations(doc)
    spec = doc.get("spec", {})
    where = f"KafkaSource/{name}"
    ordering = str(spec.get("ordering", "ordered"))
    if ordering not in ("ordered", "unordered"):
        raise ManifestError(f"{where}: ordering must be ordered or unordered")
    invalid = ann.get(ANN_INVALID_RECORDS, "dead-letter")
    if invalid not in ("wrap", "dead-letter"):
        raise ManifestError(f"{where}: {ANN_INVALID_RECORDS} must be wrap or dead-letter")
    return Subscription(
        name=name,
        kind="KafkaSource",
        topics=tuple(spec["topics"]),
        group=spec.get("consumerGroup") or f"kafkasource-{ns}-{name}",
        sink=resolver.http(spec.get("sink"), f"{where}.spec.sink"),
        delivery=_delivery(spec.get("delivery"), where),
        ordered=ordering == "ordered",
        initial_offset=str(spec.get("initialOffset", "earliest")),
        dead_letter_topic=resolver.dead_letter_topic(spec.get("delivery"), where),
        wrap_invalid=invalid == "wrap",
        namespace=ns,
        **_batching(ann, where),
    )


def _trigger(
    doc: Mapping[str, Any],
    resolver: _Resolver,
    brokers: Mapping[str, TopicSink],
    broker_delivery: Mapping[str, Any],
) -> Subscription:
    name, ns, ann = _name(doc), _namespace(doc), _annotations(doc)
    spec = doc.get("spec", {})
    where = f"Trigger/{name}"
    broker = str(spec.get("broker") or (spec.get("brokerRef") or {}).get("name"))
    if broker not in brokers:
        raise ManifestError(f"{where}: broker {broker!r} is not among the manifests")
    delivery = spec.get("delivery") or broker_delivery.get(broker)
    order = ann.get(ANN_DELIVERY_ORDER, "unordered")
    if order not in ("ordered", "unordered"):
        raise ManifestError(f"{where}: {ANN_DELIVERY_ORDER} must be ordered or unordered")
    try:
        accept = compile_filters(spec.get("filters"), (spec.get("filter") or {}).get("attributes"))
    except ValueError as exc:
        raise ManifestError(f"{where}: {exc}") from exc
    return Subscription(
        name=name,
        kind="Trigger",
        topics=(brokers[broker].topic,),
        group=f"knative-trigger-{ns}-{name}",
        sink=resolver.http(spec.get("subscriber"), f"{where}.spec.subscriber"),
        delivery=_delivery(delivery, where),
        ordered=order == "ordered",
        accept=accept,
        initial_offset=ann.get(ANN_INITIAL_OFFSET, "earliest"),
        dead_letter_topic=resolver.dead_letter_topic(delivery, where),
        **_batching(ann, where),
    )


def _ping(doc: Mapping[str, Any], resolver: _Resolver) -> PingSpec:
    name, spec = _name(doc), doc.get("spec", {})
    if "dataBase64" in spec:
        import base64

        data = base64.b64decode(spec["dataBase64"])
    else:
        data = str(spec.get("data", "")).encode()
    return PingSpec(
        name=name,
        namespace=_namespace(doc),
        schedule=str(spec.get("schedule", "* * * * *")),
        timezone=spec.get("timezone"),
        content_type=str(spec.get("contentType", "application/json" if data else "")),
        data=data,
        sink=resolver.sink(spec.get("sink"), f"PingSource/{name}.spec.sink"),
        extensions=dict((spec.get("ceOverrides") or {}).get("extensions") or {}),
    )


def _service_sink(doc: Mapping[str, Any]) -> HttpSink:
    port = _annotations(doc).get(ANN_LOCAL_PORT)
    if not port or not str(port).isdigit():
        raise ManifestError(f"Service/{_name(doc)}: annotation {ANN_LOCAL_PORT} (a port) is needed")
    return HttpSink(f"http://127.0.0.1:{int(port)}", _name(doc))


def _broker_topic(doc: Mapping[str, Any]) -> TopicSink:
    topic = _annotations(doc).get(ANN_EXTERNAL_TOPIC)
    if not topic:
        raise ManifestError(f"Broker/{_name(doc)}: annotation {ANN_EXTERNAL_TOPIC} is needed")
    return TopicSink(topic, _name(doc))


def _delivery(spec: Mapping[str, Any] | None, where: str) -> DeliveryPolicy:
    try:
        return DeliveryPolicy.from_spec(spec)
    except (ValueError, TypeError) as exc:
        raise ManifestError(f"{where}.delivery: {exc}") from exc


def _batching(ann: Mapping[str, str], where: str) -> dict[str, Any]:
    try:
        out: dict[str, Any] = {
            "batch_max_events": int(ann.get(ANN_BATCH_MAX_EVENTS, "1")),
            "batch_max_wait_ms": float(ann.get(ANN_BATCH_MAX_WAIT_MS, "5")),
            "max_in_flight": int(ann.get(ANN_MAX_IN_FLIGHT, "4")),
        }
        rate = ann.get(ANN_MAX_EVENTS_PER_SECOND)
        out["max_events_per_second"] = float(rate) if rate is not None else None
    except ValueError as exc:
        raise ManifestError(f"{where}: bad satmon.io annotation: {exc}") from exc
    if out["batch_max_events"] < 1 or out["max_in_flight"] < 1 or out["batch_max_wait_ms"] < 0:
        raise ManifestError(f"{where}: batch-max-events and max-in-flight must be >= 1")
    rate = out["max_events_per_second"]
    if rate is not None and not 0 < rate < float("inf"):
        raise ManifestError(f"{where}: {ANN_MAX_EVENTS_PER_SECOND} must be a positive number")
    return out


def _name(doc: Mapping[str, Any]) -> str:
    name = (doc.get("metadata") or {}).get("name")
    if not name:
        raise ManifestError(f"{doc.get('__file__', '?')}: a {doc.get('kind')} without a name")
    return str(name)


def _namespace(doc: Mapping[str, Any]) -> str:
    return str((doc.get("metadata") or {}).get("namespace") or DEFAULT_NAMESPACE)


def _annotations(doc: Mapping[str, Any]) -> dict[str, str]:
    return {
        str(k): str(v) for k, v in ((doc.get("metadata") or {}).get("annotations") or {}).items()
    }


def _path(uri: str) -> str:
    return uri if uri.startswith("/") else "/" + uri
