"""Shared logic of satmon's CloudEvent functions (ingress, telemetry-writer, forecaster,
result-store) and the host that serves them with CloudEvents batched mode.

Handlers in ``functions/<name>/main.py`` stay thin; everything here is unit-tested
directly. See ``README.md`` in this folder for the batch contract.
"""
