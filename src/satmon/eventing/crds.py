"""The published CRD schemas in eventing/crds/, made strict, to validate manifests.

Each CRD's ``openAPIV3Schema`` gains ``additionalProperties: false`` wherever it lists
its properties and does not set ``x-kubernetes-preserve-unknown-fields``, and
``metadata`` is checked as an ObjectMeta (name, namespace, labels, annotations with
string values), so a misspelt field fails validation.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


class ManifestError(ValueError):
    """A manifest that cannot be loaded, validated or resolved."""


# (apiVersion, kind) → (CRD file under the CRD folder, version name)
CRD_FILES: dict[tuple[str, str], tuple[str, str]] = {
    ("serving.knative.dev/v1", "Service"): ("serving.knative.dev/service.yaml", "v1"),
    ("eventing.knative.dev/v1", "Broker"): ("eventing.knative.dev/broker.yaml", "v1"),
    ("eventing.knative.dev/v1", "Trigger"): ("eventing.knative.dev/trigger.yaml", "v1"),
    ("sources.knative.dev/v1", "PingSource"): ("sources.knative.dev/pingsource.yaml", "v1"),
    ("sources.knative.dev/v1", "KafkaSource"): ("sources.knative.dev/100-kafka-source.yaml", "v1"),
    ("sources.knative.dev/v1beta1", "KafkaSource"): (
        "sources.knative.dev/100-kafka-source.yaml",
        "v1beta1",
    ),
    ("openfaas.com/v1", "Function"): ("openfaas.com/openfaas.com_functions.yaml", "v1"),
}

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
OBJECT_META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"},
        "namespace": {"type": "string"},
        "labels": _STRING_MAP,
        "annotations": _STRING_MAP,
    },
}


def find_crd_dir() -> Path | None:
    """``$SATMON_CRD_DIR`` if set, else the copies shipped in ``eventing/crds/``."""
    from satmon.settings import REPO_ROOT

    candidate = Path(os.environ.get("SATMON_CRD_DIR") or REPO_ROOT / "eventing" / "crds")
    return candidate if (candidate / "SOURCE.txt").exists() else None


def validate_document(doc: Mapping[str, Any], crd_dir: Path) -> list[str]:
    """Problems of one manifest against its strict CRD schema (empty list: valid)."""
    import jsonschema

    where = f"{doc.get('__file__', '?')}: {doc.get('kind')}/{_safe_name(doc)}"
    key = (str(doc.get("apiVersion")), str(doc.get("kind")))
    if key not in CRD_FILES:
        return [f"{where}: no published CRD for apiVersion/kind {key}"]
    schema = strict_schema(crd_dir, *key)
    body = {k: v for k, v in doc.items() if k != "__file__"}
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{where}: {'.'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    ]


@lru_cache(maxsize=32)
def strict_schema(crd_dir: Path, api_version: str, kind: str) -> dict[str, Any]:
    """The CRD's openAPIV3Schema with ObjectMeta and ``additionalProperties: false`` added."""
    rel, version = CRD_FILES[(api_version, kind)]
    crd = yaml.safe_load((crd_dir / rel).read_text(encoding="utf-8"))
    if crd.get("spec", {}).get("names", {}).get("kind") != kind:
        raise ManifestError(f"{rel} does not define kind {kind}")
    (entry,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = copy.deepcopy(entry["schema"]["openAPIV3Schema"])
    props = schema.setdefault("properties", {})
    props["apiVersion"] = {"type": "string", "enum": [api_version]}
    props["kind"] = {"type": "string", "enum": [kind]}
    props["metadata"] = OBJECT_META_SCHEMA
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    return strictify(schema)


def strictify(schema: Any) -> Any:
    """Add ``additionalProperties: false`` to every object schema that lists properties
    and neither preserves unknown fields nor says otherwise about extra properties."""
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: strictify(v) for k, v in out["properties"].items()}
        if (
            not out.get("x-kubernetes-preserve-unknown-fields")
            and "additionalProperties" not in out
        ):
            out["additionalProperties"] = False
    if isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = strictify(out["additionalProperties"])
    if isinstance(out.get("items"), dict):
        out["items"] = strictify(out["items"])
    for combinator in ("allOf", "anyOf", "oneOf"):
        if isinstance(out.get(combinator), list):
            out[combinator] = [strictify(s) for s in out[combinator]]
    if isinstance(out.get("not"), dict):
        out["not"] = strictify(out["not"])
    return out


def _safe_name(doc: Mapping[str, Any]) -> str:
    meta = doc.get("metadata")
    return str(meta.get("name", "?")) if isinstance(meta, Mapping) else "?"
