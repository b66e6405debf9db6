"""One description per function: ``functions/<name>/func.yaml``, its typed model and
loader, and what is rendered from it (Knative manifests, the OpenFaaS stack, the command
that serves it)."""
