"""A function's OpenFaaS ``stack.yml`` entry, rendered from its description.

Each function is its own image (``lang: dockerfile``, ``skip_build: true``: no OpenFaaS
template, no watchdog; the server answers the readiness probe on ``GET /_/health``).
The kafka-connector invokes a function for every record of the topics named in its
``topic`` annotation; under OpenFaaS the delivery semantics are the connector's.
Configuration comes from an environment file rendered from the cluster ConfigMap and
secrets are mounted as files (``SATMON_SECRETS_DIR``), never inline.
"""

from __future__ import annotations

from typing import Any

from satmon.fnspec.model import FunctionSpec
from satmon.fnspec.platform import OPENFAAS_ENV_FILE, PART_OF, SECRET, Platform

GATEWAY = "http://127.0.0.1:31112"
SECRETS_DIR = "/var/openfaas/secrets"
"""Where OpenFaaS mounts a function's secrets, one file per key."""


def stack_document(specs: list[FunctionSpec], platform: Platform) -> dict[str, Any]:
    """The whole ``stack.yml`` for ``specs``."""
    return {
        "version": 1.0,
        "provider": {"name": "openfaas", "gateway": GATEWAY},
        "functions": {spec.name: stack_entry(spec, platform) for spec in specs},
    }


def stack_entry(spec: FunctionSpec, platform: Platform) -> dict[str, Any]:
    scale = spec.cluster.scale
    labels = {
        **PART_OF,
        "com.openfaas.scale.min": str(max(1, scale.min)),
        "com.openfaas.scale.max": str(scale.max),
    }
    if scale.min == 0:  # OpenFaaS keeps one replica and lets the idler take it to zero
        labels["com.openfaas.scale.zero"] = "true"
    entry: dict[str, Any] = {
        "lang": "dockerfile",
        "skip_build": True,
        "handler": f"./{spec.folder}",
        "image": spec.image,
        "labels": labels,
    }
    topics = connector_topics(spec, platform)
    if topics:
        entry["annotations"] = {"topic": ",".join(topics)}
    entry["environment_file"] = [OPENFAAS_ENV_FILE]
    if spec.cluster.secrets:
        entry["secrets"] = [SECRET]
    resources = spec.cluster.resources
    if resources.limits:
        entry["limits"] = dict(resources.limits)
    if resources.requests:
        entry["requests"] = dict(resources.requests)
    return entry


def connector_topics(spec: FunctionSpec, platform: Platform) -> list[str]:
    """The Kafka topics the kafka-connector should invoke ``spec`` for, in trigger order."""
    topics: list[str] = []
    for trigger in spec.triggers:
        where = f"functions/{spec.name}: trigger {trigger.name}"
        names = trigger.topics or [platform.topic_of(str(trigger.broker), where)]
        topics += [t for t in names if t not in topics]
    return topics


def environment_document(platform: Platform) -> dict[str, Any]:
    """``eventing/openfaas/env.yml``: the ConfigMap's settings, plus where secrets are."""
    return {"environment": {**platform.config, "SATMON_SECRETS_DIR": SECRETS_DIR}}
