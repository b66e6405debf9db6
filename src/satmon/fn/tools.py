"""``satmon fn build`` and ``deploy``: the outside tools they need, found or named.

An image is built with docker or podman (the ``function`` target of the repository's
Dockerfile, the tag of the function's func.yaml). A deployment renders the function's
manifests alone and applies them with kubectl (Knative) or faas-cli (OpenFaaS). A tool
that is not on ``PATH`` stops the command with a message saying how to get it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from satmon.errors import SatmonError
from satmon.fnspec.model import FunctionSpec
from satmon.fnspec.openfaas import GATEWAY, stack_entry
from satmon.fnspec.platform import Platform
from satmon.fnspec.render import dump, function_manifests

BUILDERS = ("docker", "podman")
HOW_TO_GET = {
    "docker": "Debian: `apt-get install docker.io`",
    "podman": "Debian: `apt-get install podman`",
    "kubectl": "Debian: `apt-get install kubectl` from the Kubernetes apt repository, or your "
    "cluster vendor's CLI; it needs a kubeconfig for a cluster with Knative Serving and Eventing",
    "faas-cli": "the OpenFaaS CLI (see the OpenFaaS documentation); it needs "
    "`faas-cli login` to your gateway",
}


class MissingTool(SatmonError):
    """None of the tools a command needs is on ``PATH``."""

    def __init__(self, names: tuple[str, ...], purpose: str) -> None:
        hints = "; ".join(f"{n}: {HOW_TO_GET[n]}" for n in names)
        missing = f"neither {' nor '.join(names)} is" if len(names) > 1 else f"{names[0]} is not"
        super().__init__(f"{missing} on PATH, and {purpose} needs it. Install: {hints}")


def find(names: tuple[str, ...], purpose: str) -> str:
    """The first of ``names`` on ``PATH``, else :class:`MissingTool`."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise MissingTool(names, purpose)


def build_command(tool: str, spec: FunctionSpec, root: Path) -> list[str]:
    return [
        tool, "build", "--target", "function", "--build-arg", f"FUNCTION={spec.name}",
        "--tag", spec.image, "--file", str(root / "Dockerfile"), str(root),
    ]  # fmt: skip


def build(spec: FunctionSpec, root: Path, tool: str | None = None) -> int:
    """Build the function's image; the builder's exit status."""
    found = find((tool,) if tool else BUILDERS, f"building {spec.name}'s image")
    return subprocess.run(build_command(found, spec, root), check=False).returncode


def render(spec: FunctionSpec, platform: Platform, target: str, namespace: str) -> str:
    """The function's manifests alone, as ``deploy --dry-run`` prints them."""
    if target == "knative":
        return function_manifests(spec, platform, namespace, header=False)
    document = {
        "version": 1.0,
        "provider": {"name": "openfaas", "gateway": GATEWAY},
        "functions": {spec.name: {**stack_entry(spec, platform), "namespace": namespace}},
    }
    return dump([document])


def deploy(spec: FunctionSpec, platform: Platform, target: str, namespace: str, root: Path) -> int:
    """Apply the function's manifests; the tool's exit status."""
    text = render(spec, platform, target, namespace)
    if target == "knative":
        kubectl = find(("kubectl",), f"deploying {spec.name} to Knative")
        return subprocess.run(
            [kubectl, "apply", "--namespace", namespace, "-f", "-"],
            input=text.encode(),
            check=False,
        ).returncode
    faas = find(("faas-cli",), f"deploying {spec.name} to OpenFaaS")
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=root, delete=False) as handle:
        handle.write(text)  # beside stack.yml: faas-cli resolves environment_file from here
    try:
        return subprocess.run([faas, "deploy", "-f", handle.name], cwd=root, check=False).returncode
    finally:
        Path(handle.name).unlink(missing_ok=True)
