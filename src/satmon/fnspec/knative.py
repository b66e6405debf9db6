"""A function's Knative manifests, rendered from its description: the Service, then a
Trigger (on a Kafka Broker) or a KafkaSource (on topics) per trigger, with ``delivery``.

The ``satmon.io/*`` annotations carry what only the local dispatcher reads (the local
port, batching, pacing; eventing/README.md); Knative ignores them.
"""

from __future__ import annotations

from typing import Any

from satmon.fnspec.model import Delivery, FunctionSpec, Trigger
from satmon.fnspec.platform import (
    CONFIG_MAP,
    CONTAINER_PORT,
    NAMESPACE,
    PART_OF,
    SECRET,
    Platform,
)

SERVICE_API = "serving.knative.dev/v1"
BROKER_API = "eventing.knative.dev/v1"
SOURCES_API = "sources.knative.dev/v1"


def function_documents(
    spec: FunctionSpec, platform: Platform, namespace: str = NAMESPACE
) -> list[dict[str, Any]]:
    """The Service and every trigger of ``spec``, in ``namespace``."""
    return [
        service(spec, namespace),
        *(subscription(spec, t, platform, namespace) for t in spec.triggers),
    ]


def service(spec: FunctionSpec, namespace: str = NAMESPACE) -> dict[str, Any]:
    cluster = spec.cluster
    scale = {
        "autoscaling.knative.dev/min-scale": str(cluster.scale.min),
        "autoscaling.knative.dev/max-scale": str(cluster.scale.max),
    }
    if cluster.scale.target is not None:
        scale["autoscaling.knative.dev/target"] = str(cluster.scale.target)
    container: dict[str, Any] = {
        "name": "function",
        "image": spec.image,
        "ports": [{"containerPort": CONTAINER_PORT}],
        "envFrom": [{"configMapRef": {"name": CONFIG_MAP}}],
    }
    if cluster.secrets:
        container["env"] = [secret_env(key) for key in cluster.secrets]
    resources = cluster.resources.model_dump(exclude_defaults=True)
    if resources:
        container["resources"] = resources
    return {
        "apiVersion": SERVICE_API,
        "kind": "Service",
        "metadata": {
            "name": spec.name,
            "namespace": namespace,
            "labels": dict(PART_OF),
            "annotations": {"satmon.io/local-port": str(spec.local.port)},
        },
        "spec": {
            "template": {
                "metadata": {"annotations": scale},
                "spec": {
                    "containerConcurrency": cluster.concurrency,
                    "timeoutSeconds": cluster.timeout_s,
                    "containers": [container],
                },
            }
        },
    }


def secret_env(key: str) -> dict[str, Any]:
    """One setting read from the shared Secret (``satmon_pg_password`` → SATMON_PG_PASSWORD)."""
    return {"name": key.upper(), "valueFrom": {"secretKeyRef": {"name": SECRET, "key": key}}}


def subscription(
    spec: FunctionSpec, trigger: Trigger, platform: Platform, namespace: str = NAMESPACE
) -> dict[str, Any]:
    """A Trigger (``broker`` given) or a KafkaSource (``topics`` given) delivering to ``spec``."""
    sink = {"ref": {"apiVersion": SERVICE_API, "kind": "Service", "name": spec.name}}
    annotations = _local_annotations(trigger)
    body: dict[str, Any]
    if trigger.broker is not None:
        platform.topic_of(trigger.broker, f"functions/{spec.name}: trigger {trigger.name}")
        annotations = {"kafka.eventing.knative.dev/delivery.order": trigger.ordering, **annotations}
        if trigger.initial_offset != "earliest":
            annotations["satmon.io/initial-offset"] = trigger.initial_offset
        body = {"broker": trigger.broker}
        if trigger.filters:
            body["filters"] = trigger.filters
        body["subscriber"] = sink
        if trigger.delivery is not None:
            body["delivery"] = delivery(trigger.delivery)
        api, kind = BROKER_API, "Trigger"
    else:
        body = {
            "bootstrapServers": list(platform.kafka_bootstrap),
            "topics": list(trigger.topics or ()),
            "consumerGroup": trigger.consumer_group or f"kafkasource-{namespace}-{trigger.name}",
            "initialOffset": trigger.initial_offset,
            "ordering": trigger.ordering,
        }
        if trigger.delivery is not None:
            body["delivery"] = delivery(trigger.delivery)
        body["sink"] = sink
        api, kind = SOURCES_API, "KafkaSource"
    metadata: dict[str, Any] = {
        "name": trigger.name,
        "namespace": namespace,
        "labels": dict(PART_OF),
    }
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api, "kind": kind, "metadata": metadata, "spec": body}


def delivery(policy: Delivery) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ours, theirs in (
        ("retry", "retry"),
        ("backoff_policy", "backoffPolicy"),
        ("backoff_delay", "backoffDelay"),
        ("timeout", "timeout"),
        ("retry_after_max", "retryAfterMax"),
    ):
        value = getattr(policy, ours)
        if value is not None:
            out[theirs] = value
    if policy.dead_letter is not None:
        ref = {"apiVersion": BROKER_API, "kind": "Broker", "name": policy.dead_letter}
        out["deadLetterSink"] = {"ref": ref}
    return out


def _local_annotations(trigger: Trigger) -> dict[str, str]:
    out: dict[str, str] = {}
    if trigger.batch is not None:
        out["satmon.io/batch-max-events"] = str(trigger.batch.max_events)
        out["satmon.io/batch-max-wait-ms"] = _number(trigger.batch.max_wait_ms)
    if trigger.max_in_flight is not None:
        out["satmon.io/max-in-flight"] = str(trigger.max_in_flight)
    if trigger.max_events_per_second is not None:
        out["satmon.io/max-events-per-second"] = _number(trigger.max_events_per_second)
    if trigger.invalid_records != "dead-letter":
        out["satmon.io/invalid-records"] = trigger.invalid_records
    return out


def _number(value: float) -> str:
    return f"{value:g}"
