"""The files rendered from the function descriptions, written or checked in one place.

``eventing/<name>.yaml`` (the function's Knative Service and triggers, which the local
dispatcher reads), ``stack.yml`` (OpenFaaS) and ``eventing/openfaas/env.yml`` are outputs:
``satmon fn render`` writes them and a unit test fails while any differs from what the
descriptions say.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from satmon.fnspec.knative import function_documents
from satmon.fnspec.load import Functions, load_functions
from satmon.fnspec.model import FunctionSpec
from satmon.fnspec.openfaas import environment_document, stack_document
from satmon.fnspec.platform import NAMESPACE, OPENFAAS_ENV_FILE, Platform, read_platform

STACK_FILE = "stack.yml"
RENDERED = "Rendered from"
RENDERED_MARK = f"# {RENDERED} "
STACK_HEADER = """\
OpenFaaS deployment of satmon's functions. Each is its own image, built from the
repository root with the `function` target of the Dockerfile there, then deployed:
  satmon fn build <name>
  faas-cli deploy -f stack.yml       (one function: satmon fn deploy <name> --target openfaas)
Delivery on OpenFaaS is the kafka-connector's: every record of the `topic` annotation's
topics, no attribute filters, no dead-letter topic (eventing/README.md)."""


class _Dumper(yaml.SafeDumper):
    """Block style, keys in the order given, no anchors for repeated values."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key


def dump(documents: Iterable[dict[str, Any]], comments: Iterable[str | None] = ()) -> str:
    """YAML documents separated by ``---``, each after its comment (if any)."""
    notes = list(comments)
    parts = []
    for i, doc in enumerate(documents):
        note = notes[i] if i < len(notes) else None
        body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        parts.append((comment(note) if note else "") + body)
    return "---\n".join(parts)


def comment(text: str) -> str:
    """``text`` as YAML comment lines, prose wrapped at 88 columns, indented lines kept."""
    lines = []
    for paragraph in text.strip().split("\n"):
        lines += [paragraph] if paragraph.startswith(" ") else textwrap.wrap(paragraph, 88) or [""]
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def function_file(spec: FunctionSpec) -> str:
    return f"eventing/{spec.name}.yaml"


def function_manifests(
    spec: FunctionSpec, platform: Platform, namespace: str = NAMESPACE, header: bool = True
) -> str:
    """The function's Knative manifests as one YAML text (what ``eventing/<name>.yaml`` holds)."""
    docs = function_documents(spec, platform, namespace)
    notes: list[str | None] = [f"{spec.name}: {spec.description}"]
    notes += [t.description for t in spec.triggers]
    if header:
        notes[0] = (
            f"{RENDERED} {spec.folder}/func.yaml by `satmon fn render`: edit that file, "
            f"not this one.\n\n{notes[0]}"
        )
    return dump(docs, notes)


def stack_text(specs: Iterable[FunctionSpec], platform: Platform) -> str:
    doc = stack_document(list(specs), platform)
    return comment(
        STACK_HEADER + "\n\nRendered from functions/*/func.yaml by `satmon fn render`."
    ) + dump([doc])


def rendered_files(functions: Functions) -> dict[str, str]:
    """Every rendered file of the checkout: path relative to its root → content."""
    platform = read_platform(functions.root)
    files = {function_file(spec): function_manifests(spec, platform) for spec in functions}
    files[STACK_FILE] = stack_text(functions, platform)
    env_note = "Settings of every OpenFaaS function, rendered from eventing/cluster/config.yaml."
    files[OPENFAAS_ENV_FILE] = comment(env_note) + dump([environment_document(platform)])
    return files


def stale_files(root: Path) -> list[str]:
    """Rendered files that are missing, differ from what the descriptions give, or are
    left from a function that no longer exists."""
    wanted = rendered_files(load_functions(root))
    out = [rel for rel, text in wanted.items() if _read(root / rel) != text]
    return out + [rel for rel in _previous_renders(root) if rel not in wanted]


def write_rendered(root: Path) -> list[str]:
    """Write every rendered file that changed, remove leftovers; returns their paths."""
    wanted = rendered_files(load_functions(root))
    changed = []
    for rel, text in wanted.items():
        path = root / rel
        if _read(path) != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(rel)
    for rel in _previous_renders(root):
        if rel not in wanted:
            (root / rel).unlink()
            changed.append(rel)
    return changed


def _previous_renders(root: Path) -> list[str]:
    """Function manifests in eventing/ that say they were rendered."""
    return [
        f"eventing/{path.name}"
        for path in sorted((root / "eventing").glob("*.yaml"))
        if (_read(path) or "").startswith(RENDERED_MARK)
    ]


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
