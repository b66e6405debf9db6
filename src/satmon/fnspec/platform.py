"""What every function's cluster manifests share: the namespace, the ConfigMap and Secret
they reference, the Kafka bootstrap servers and the topic behind each Broker.

The bootstrap servers are read from the ConfigMap (``eventing/cluster/config.yaml``) and
the topics from the Brokers (``eventing/brokers.yaml``), so neither is written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from satmon.fnspec.load import FunctionSpecError

NAMESPACE = "satmon"
CONFIG_MAP = "satmon-config"
SECRET = "satmon-secrets"
CONTAINER_PORT = 8080
PART_OF = {"app.kubernetes.io/part-of": "satmon"}
CONFIG_FILE = "eventing/cluster/config.yaml"
OPENFAAS_ENV_FILE = "eventing/openfaas/env.yml"
EXTERNAL_TOPIC = "kafka.eventing.knative.dev/external.topic"


@dataclass(frozen=True)
class Platform:
    kafka_bootstrap: list[str]
    broker_topics: dict[str, str]
    config: dict[str, str]
    """The ConfigMap's data: every setting the cluster's components share."""

    def topic_of(self, broker: str, where: str) -> str:
        if broker not in self.broker_topics:
            known = ", ".join(sorted(self.broker_topics))
            raise FunctionSpecError(f"{where}: no Broker {broker!r} in eventing/ (known: {known})")
        return self.broker_topics[broker]


def read_platform(root: Path) -> Platform:
    """The shared facts of the checkout at ``root``."""
    config = _config_map(root / CONFIG_FILE)
    bootstrap = config.get("SATMON_KAFKA_BOOTSTRAP", "")
    if not bootstrap:
        raise FunctionSpecError(f"{CONFIG_FILE}: data.SATMON_KAFKA_BOOTSTRAP is needed")
    return Platform([s.strip() for s in bootstrap.split(",")], _broker_topics(root), config)


def _config_map(path: Path) -> dict[str, str]:
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        kind, name = (doc.get("kind"), doc.get("metadata", {}).get("name")) if doc else (None, None)
        if (kind, name) == ("ConfigMap", CONFIG_MAP):
            return {str(k): str(v) for k, v in (doc.get("data") or {}).items()}
    raise FunctionSpecError(f"{path.name}: no ConfigMap {CONFIG_MAP}")


def _broker_topics(root: Path) -> dict[str, str]:
    topics = {}
    for path in sorted((root / "eventing").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "Broker":
                annotations = doc.get("metadata", {}).get("annotations") or {}
                if EXTERNAL_TOPIC in annotations:
                    topics[str(doc["metadata"]["name"])] = str(annotations[EXTERNAL_TOPIC])
    return topics
