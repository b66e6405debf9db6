"""The cores of satmon's CloudEvent functions: ingress, telemetry-writer, forecaster,
result-store. Each is pure logic over the contract, the clients and the store;
``functions/<name>/main.py`` wires one to the host (``satmon.fnhost``).
"""
