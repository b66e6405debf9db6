"""The host of satmon's CloudEvent functions: functions-framework plus CloudEvents
batched mode, and the clients each function process creates once.

Function cores live in ``satmon.pipeline``; ``functions/<name>/main.py`` wires a core
to this host.
"""
