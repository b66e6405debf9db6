"""A function and its triggers in words, for ``satmon fn list``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from satmon.fnspec.model import Delivery, FunctionSpec, Trigger
from satmon.fnspec.platform import Platform

_OPS = {"exact": "=", "prefix": " starts with ", "suffix": " ends with "}


def function_lines(spec: FunctionSpec, platform: Platform, running: str) -> list[str]:
    """A function and its triggers, one fact per line, for ``satmon fn list``."""
    head = (
        f"{spec.name}  {spec.entry.target} ({spec.entry.signature})  "
        f"port {spec.local.port}  running: {running}"
    )
    lines = [head]
    for trigger in spec.triggers:
        lines += ["  " + line for line in trigger_lines(trigger, platform)]
    if not spec.triggers:
        lines.append("  no trigger: called over HTTP")
    return lines


def trigger_lines(trigger: Trigger, platform: Platform) -> list[str]:
    """Where a trigger reads, what it lets through, and how it delivers."""
    if trigger.broker is not None:
        topic = platform.broker_topics.get(trigger.broker, "?")
        source = f"broker {trigger.broker} ({topic})"
    else:
        source = ", ".join(trigger.topics or ())
    lines = [f"{trigger.kind} {trigger.name} ← {source}"]
    if trigger.filters:
        lines.append("  filter: " + " and ".join(filter_text(f, top=True) for f in trigger.filters))
    how: list[str] = [trigger.ordering]
    if trigger.batch is not None and trigger.batch.max_events > 1:
        how.append(f"batches of ≤{trigger.batch.max_events}")
    if trigger.max_events_per_second is not None:
        how.append(f"≤{trigger.max_events_per_second:g} events/s")
    how.append(delivery_text(trigger.delivery, trigger.broker))
    lines.append("  " + ", ".join(how))
    return lines


def filter_text(expression: Mapping[str, Any], top: bool = False) -> str:
    """A filter expression in words: ``type=a or type=b``, ``type starts with x``."""
    ((dialect, arg),) = expression.items()
    if dialect in _OPS:
        return " and ".join(f"{k}{_OPS[dialect]}{v}" for k, v in arg.items())
    if dialect in ("all", "any"):
        joined = (" and " if dialect == "all" else " or ").join(filter_text(e) for e in arg)
        return joined if top else f"({joined})"
    return f"not {filter_text(arg)}"


def delivery_text(delivery: Delivery | None, broker: str | None) -> str:
    if delivery is None:
        return "delivery: the broker's" if broker else "delivery: Knative's defaults"
    out = f"retry {delivery.retry if delivery.retry is not None else 'default'}"
    if delivery.backoff_policy:
        out += f" {delivery.backoff_policy} {delivery.backoff_delay or ''}".rstrip()
    if delivery.dead_letter:
        out += f" → {delivery.dead_letter}"
    return out
