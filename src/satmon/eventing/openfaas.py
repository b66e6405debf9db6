"""OpenFaaS: the functions of ``stack.yml`` as ``Function`` objects, to validate them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from satmon.eventing.crds import ManifestError

_STACK_FIELDS = {
    "image": "image",
    "handler": "handler",
    "labels": "labels",
    "annotations": "annotations",
    "environment": "environment",
    "limits": "limits",
    "requests": "requests",
    "secrets": "secrets",
    "constraints": "constraints",
    "readonly_root_filesystem": "readOnlyRootFilesystem",
}
_STACK_ONLY = {"lang", "build_args", "build_options", "skip_build", "environment_file", "fprocess"}


def stack_functions(
    stack: Mapping[str, Any], namespace: str = "openfaas-fn"
) -> list[dict[str, Any]]:
    """``stack.yml`` → OpenFaaS ``Function`` objects (what ``faas-cli generate`` emits).

    A key of a stack function that is neither a Function field nor a build-only key is
    an error, so a misspelt key in ``stack.yml`` is caught as well.
    """
    out = []
    for name, fn in (stack.get("functions") or {}).items():
        unknown = set(fn) - set(_STACK_FIELDS) - _STACK_ONLY
        if unknown:
            raise ManifestError(f"stack.yml: function {name}: unknown keys {sorted(unknown)}")
        spec: dict[str, Any] = {"name": name}
        for key, field_name in _STACK_FIELDS.items():
            if key in fn:
                value = fn[key]
                if key == "environment":
                    value = {str(k): str(v) for k, v in value.items()}
                spec[field_name] = value
        out.append(
            {
                "apiVersion": "openfaas.com/v1",
                "kind": "Function",
                "metadata": {"name": name, "namespace": namespace},
                "spec": spec,
            }
        )
    return out
