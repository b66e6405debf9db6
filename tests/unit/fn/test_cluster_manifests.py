"""Every cluster file the repository ships validates against its published schema: core
Kubernetes kinds against the Kubernetes schemas of kubernetes-validate (strict: unknown
fields fail), Knative kinds against the CRDs in eventing/crds/; configuration and secrets
are referenced, never inline; Triton asks for a GPU and loads the GPU model config."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from satmon.eventing.crds import CRD_FILES, find_crd_dir, validate_document
from satmon.fnspec.load import load_functions
from satmon.settings import REPO_ROOT

KUBERNETES_VERSION = "1.32"
CLUSTER = REPO_ROOT / "eventing" / "cluster"
CORE_KINDS = {"Deployment", "Service", "Secret", "ConfigMap", "Namespace"}


def documents(*folders: Path) -> list[dict[str, Any]]:
    docs = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc:
                    docs.append({**doc, "__file__": f"{folder.name}/{path.name}"})
    return docs


def validate(doc: dict[str, Any]) -> list[str]:
    """Problems of one manifest: Kubernetes schemas for core kinds, the CRDs for the rest."""
    body = {k: v for k, v in doc.items() if k != "__file__"}
    if (doc["apiVersion"], doc["kind"]) in CRD_FILES:
        crds = find_crd_dir()
        assert crds is not None, "eventing/crds/ is missing from the checkout"
        return validate_document(doc, crds)
    assert doc["kind"] in CORE_KINDS, f"{doc['__file__']}: {doc['kind']} has no schema here"
    try:
        kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(map(str, exc.path)) or "<root>"
        return [f"{doc['__file__']}: {where}: {exc.message}"]
    return []


CLUSTER_DOCS = documents(CLUSTER)


@pytest.mark.parametrize(
    "doc",
    CLUSTER_DOCS,
    ids=lambda d: f"{d['__file__']}:{d['kind']}/{d['metadata']['name']}",
)
def test_every_cluster_manifest_is_valid(doc: dict[str, Any]) -> None:
    assert validate(doc) == []


@pytest.mark.parametrize(
    ("kind", "mutate", "where"),
    [
        (
            "Deployment",
            lambda d: d["spec"].update(replica=1),
            "spec: Additional properties",
        ),
        (
            "Deployment",
            lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imag="x"),
            "",
        ),
        (
            "ConfigMap",
            lambda d: d["data"].update(SATMON_PG_PORT=5432),
            "data.SATMON_PG_PORT",
        ),
        ("Secret", lambda d: d.update(strinData={}), "'strinData' was unexpected"),
        (
            "Service",
            lambda d: d["spec"]["ports"][0].update(port="http"),
            "spec.ports.0.port",
        ),
    ],
)
def test_core_kinds_are_checked_strictly(kind: str, mutate: Any, where: str) -> None:
    doc = next(
        yaml_copy(d) for d in CLUSTER_DOCS if d["kind"] == kind and "knative" not in d["apiVersion"]
    )
    mutate(doc)
    problems = validate(doc)
    assert problems and where in problems[0], problems


def yaml_copy(doc: dict[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = yaml.safe_load(yaml.safe_dump(doc))
    return copied


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("containers", []))


ALL_DOCS = CLUSTER_DOCS + documents(REPO_ROOT / "eventing")


def test_configuration_and_secrets_are_referenced_never_inline() -> None:
    workloads = [d for d in ALL_DOCS if _containers(d)]
    assert {d["metadata"]["name"] for d in workloads} >= {
        "api", "dashboard", "triton", *(fn.name for fn in load_functions(REPO_ROOT))
    }  # fmt: skip
    for doc in workloads:
        for container in _containers(doc):
            for env in container.get("env", []):
                if env["name"].startswith("SATMON_"):
                    assert "valueFrom" in env, f"{doc['__file__']}: {env['name']} is inline"
            if doc["metadata"]["name"] != "triton":  # Triton takes no satmon setting
                refs = [e.get("configMapRef", {}).get("name") for e in container["envFrom"]]
                assert refs == ["satmon-config"], doc["__file__"]
    (secret,) = [d for d in CLUSTER_DOCS if d["kind"] == "Secret"]
    assert secret["__file__"].endswith(".example.yaml")  # a template, never real values
    assert set(secret["stringData"].values()) == {"change-me"}


def test_every_function_has_scale_bounds() -> None:
    services = [d for d in documents(REPO_ROOT / "eventing") if d["kind"] == "Service"]
    for doc in services:
        annotations = doc["spec"]["template"]["metadata"]["annotations"]
        low = int(annotations["autoscaling.knative.dev/min-scale"])
        assert 0 <= low <= int(annotations["autoscaling.knative.dev/max-scale"])
    assert any(
        d["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/min-scale"] == "0"
        for d in services
    ), "scale to zero where it fits"


def test_triton_runs_on_a_gpu_with_the_gpu_model_config() -> None:
    (deployment,) = [
        d for d in CLUSTER_DOCS if d["kind"] == "Deployment" and d["metadata"]["name"] == "triton"
    ]
    (container,) = _containers(deployment)
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "--model-config-name=gpu" in container["args"]
    models = [p.parent for p in (REPO_ROOT / "triton" / "models").glob("*/config.pbtxt")]
    assert models
    for model in models:
        gpu = (model / "configs" / "gpu.pbtxt").read_text()
        assert re.search(r"kind:\s*KIND_GPU", gpu), model.name
    (service,) = [
        d for d in CLUSTER_DOCS if d["kind"] == "Service" and d["metadata"]["name"] == "triton"
    ]
    config = next(d for d in CLUSTER_DOCS if d["kind"] == "ConfigMap")["data"]
    assert config["SATMON_TRITON_HOST"] == f"triton.{service['metadata']['namespace']}"
    ports = {p["port"] for p in service["spec"]["ports"]}
    assert int(config["SATMON_TRITON_HTTP_PORT"]) in ports


def test_api_and_dashboard_start_as_the_contract_says() -> None:
    by_name = {d["metadata"]["name"]: d for d in CLUSTER_DOCS if _containers(d)}
    (api,) = _containers(by_name["api"])
    assert api["command"] + api["args"] == [
        "python",
        "-m",
        "satmon.api",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    (ui,) = _containers(by_name["dashboard"])
    assert ui["command"] + ui["args"] == [
        "python",
        "-m",
        "ui",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]
    assert ui["ports"][0]["containerPort"] == 8080
    assert ui["readinessProbe"]["httpGet"]["path"] == "/healthz"
    config = next(d for d in CLUSTER_DOCS if d["kind"] == "ConfigMap")["data"]
    # the dashboard's setting ui_api_url: it reaches the API at the Service's address
    assert config["SATMON_UI_API_URL"] == "http://api.satmon.svc.cluster.local"
