"""Trigger filters on CloudEvent attributes, never on ``data``.

Two forms, as in Knative Eventing:

* ``spec.filters`` — a list of expressions that must all match, each with exactly one
  dialect: ``exact`` / ``prefix`` / ``suffix`` (attribute → string, every listed
  attribute must match), ``all`` / ``any`` (lists of expressions) and ``not`` (one
  expression). ``cesql`` is refused at load time rather than silently ignored.
* ``spec.filter.attributes`` — the legacy form: exact matches, where ``""`` means any.

Filters are compiled once (:func:`compile_filters`) into a predicate over the
attribute mapping (values as strings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Attributes = Mapping[str, Any]
Predicate = Callable[[Attributes], bool]
DIALECTS = ("exact", "prefix", "suffix", "all", "any", "not")


class FilterError(ValueError):
    """A filter expression satmon cannot evaluate (unknown dialect, wrong shape)."""


def compile_filters(
    filters: Sequence[Mapping[str, Any]] | None = None,
    legacy_attributes: Mapping[str, Any] | None = None,
) -> Predicate:
    """One predicate for a Trigger: every ``filters`` entry and the legacy filter match."""
    parts = [compile_expression(expr, f"filters[{i}]") for i, expr in enumerate(filters or ())]
    if legacy_attributes:
        parts.append(_legacy(legacy_attributes))
    if not parts:
        return _always
    if len(parts) == 1:
        return parts[0]
    return lambda attrs: all(p(attrs) for p in parts)


def matches(attributes: Attributes, filters: Sequence[Mapping[str, Any]]) -> bool:
    """Convenience: does one event's attribute set pass ``filters``?"""
    return compile_filters(filters)(attributes)


def compile_expression(expr: Mapping[str, Any], where: str = "filter") -> Predicate:
    if not isinstance(expr, Mapping) or len(expr) != 1:
        raise FilterError(f"{where}: an expression has exactly one dialect key of {DIALECTS}")
    ((dialect, arg),) = expr.items()
    if dialect in ("exact", "prefix", "suffix"):
        return _string_match(dialect, arg, f"{where}.{dialect}")
    if dialect in ("all", "any"):
        if not isinstance(arg, Sequence) or isinstance(arg, str | bytes):
            raise FilterError(f"{where}.{dialect}: must be a list of expressions")
        subs = [compile_expression(e, f"{where}.{dialect}[{i}]") for i, e in enumerate(arg)]
        if dialect == "all":
            return lambda attrs: all(p(attrs) for p in subs)
        return lambda attrs: any(p(attrs) for p in subs)
    if dialect == "not":
        inner = compile_expression(arg, f"{where}.not")
        return lambda attrs: not inner(attrs)
    raise FilterError(f"{where}: unsupported filter dialect {dialect!r} (supported: {DIALECTS})")


def _string_match(dialect: str, arg: Any, where: str) -> Predicate:
    if not isinstance(arg, Mapping) or not arg:
        raise FilterError(f"{where}: must map attribute names to strings")
    for name, value in arg.items():
        if not isinstance(value, str) or (not value and dialect != "exact"):
            raise FilterError(f"{where}.{name}: must be a non-empty string")
    wanted = [(str(name).lower(), value) for name, value in arg.items()]

    def test(attrs: Attributes) -> bool:
        for name, value in wanted:
            got = attrs.get(name)
            if got is None:
                return False
            text = got if isinstance(got, str) else str(got)
            if dialect == "exact":
                ok = text == value
            elif dialect == "prefix":
                ok = text.startswith(value)
            else:
                ok = text.endswith(value)
            if not ok:
                return False
        return True

    return test


def _legacy(attributes: Mapping[str, Any]) -> Predicate:
    wanted = [(str(k).lower(), str(v)) for k, v in attributes.items() if v not in (None, "")]

    def test(attrs: Attributes) -> bool:
        return all(name in attrs and str(attrs[name]) == value for name, value in wanted)

    return test


def _always(attrs: Attributes) -> bool:
    return True
