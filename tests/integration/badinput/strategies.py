"""hypothesis strategies of bad telemetry input, for ingress and for Kafka alike.

Each draws a ``Bad``: a kind (what is wrong), the CloudEvent attributes as raw header
bytes (binary mode), and the body. The kinds are issue 14's list: invalid JSON, wrong
types, NaN / ±inf, values beyond physical range, bodies of a megabyte, missing or
duplicated attributes, a wrong specversion, invalid UTF-8 and control bytes in headers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from satmon.contract.events import PHYSICAL_LIMITS
from tests.samples import CONTRACT_TELEMETRY


def examples(n: int) -> settings:
    """hypothesis settings of these tests: ``n`` examples, reproducible, no deadline (each
    example goes through real servers)."""
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


NUMERIC = ("temperature", "altitude", "velocity", "battery", "solar_power", "latitude", "longitude")
MEGABYTE = 1_048_576


WRONG_TYPES = st.one_of(
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.text(min_size=1, max_size=8).filter(lambda t: not _number(t)),
)


@dataclass
class Bad:
    kind: str
    headers: list[tuple[str, bytes]]  # (attribute name, raw value); "content-type" too
    body: bytes
    structured: bytes | None = None  # the same event as a structured-mode body, if any
    notes: dict = field(default_factory=dict)


def attributes(sat: str, event_id: str | None = None) -> list[tuple[str, bytes]]:
    return [
        ("id", (event_id or uuid.uuid4().hex).encode()),
        ("source", f"/satellites/{sat}".encode()),
        ("specversion", b"1.0"),
        ("type", b"io.satmon.telemetry.v1"),
        ("content-type", b"application/json"),
    ]


def telemetry(sat: str, moment: str) -> dict:
    return {**CONTRACT_TELEMETRY, "satellite_id": sat, "timestamp": moment}


def _body(data: dict) -> bytes:
    return json.dumps(data, allow_nan=True).encode()


KINDS = (
    "invalid-json", "wrong-type", "not-finite", "beyond-physical", "megabyte",
    "missing-attribute", "duplicated-attribute", "wrong-specversion", "invalid-utf8-header",
    "control-byte-header",
)  # fmt: skip


@st.composite
def bad_telemetry(
    draw: st.DrawFn,
    sat: str,
    moment: str,
    kinds: tuple[str, ...] = KINDS,
    megabyte: tuple[int, ...] = (MEGABYTE - 2048, MEGABYTE),
) -> Bad:
    """One bad event of satellite ``sat`` (timestamp ``moment``), of one of ``kinds``;
    "megabyte" bodies are of one of the sizes in ``megabyte``."""
    kind = draw(st.sampled_from(kinds))
    data = telemetry(sat, moment)
    headers = attributes(sat)
    if kind == "invalid-json":
        text = draw(st.sampled_from(['{"satellite_id": ', "{'a': 1}", "[1, 2", "{} {}", "nul"]))
        return Bad(kind, headers, (text + draw(st.text(max_size=20))).encode())
    if kind == "wrong-type":
        name = draw(st.sampled_from([*NUMERIC, "satellite_id", "timestamp"]))
        data[name] = draw(
            WRONG_TYPES.filter(lambda v: not (name == "satellite_id" and isinstance(v, str)))
        )
        return Bad(kind, headers, _body(data), notes={"field": name})
    if kind == "not-finite":
        name = draw(st.sampled_from(NUMERIC))
        data[name] = draw(st.sampled_from([float("nan"), float("inf"), float("-inf")]))
        return Bad(kind, headers, _body(data), notes={"field": name})
    if kind == "beyond-physical":
        limits = {**PHYSICAL_LIMITS, "latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0)}
        name = draw(st.sampled_from(sorted(limits)))
        low, high = limits[name]
        below = st.floats(
            max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False, min_value=-1e12
        )
        above = st.floats(
            min_value=high, exclude_min=True, allow_nan=False, allow_infinity=False, max_value=1e12
        )
        choices = [s for s, ok in ((below, low > -1e12), (above, high < 1e12)) if ok]
        data[name] = draw(st.one_of(choices))
        return Bad(kind, headers, _body(data), notes={"field": name})
    if kind == "megabyte":
        data["padding"] = "x" * draw(st.sampled_from(megabyte))
        return Bad(kind, headers, _body(data))
    if kind == "missing-attribute":
        name = draw(st.sampled_from(["id", "source", "specversion", "type"]))
        return Bad(
            kind, [(n, v) for n, v in headers if n != name], _body(data), notes={"field": name}
        )
    if kind == "duplicated-attribute":
        name = draw(st.sampled_from(["id", "source", "type", "specversion"]))
        value = dict(headers)[name].decode()
        other = draw(st.sampled_from(["other", "io.example.other.v1", "0.3", ""]))
        event = {n: v.decode() for n, v in headers if n != "content-type"}
        head = json.dumps(event)[:-1]
        structured = (
            f'{head}, "{name}": {json.dumps(other or value + "-2")}, "data": {json.dumps(data)}}}'
        )
        return Bad(
            kind,
            [*headers, (name, (other or value + "-2").encode())],
            _body(data),
            structured.encode(),
            {"field": name},
        )
    if kind == "wrong-specversion":
        version = draw(
            st.sampled_from(["0.3", "1", "1.0.0", "2.0", "1.1", "v1.0"])
        )  # HTTP strips " 1.0"
        headers = [(n, version.encode() if n == "specversion" else v) for n, v in headers]
        return Bad(kind, headers, _body(data), notes={"field": "specversion"})
    raw = draw(_invalid_utf8() if kind == "invalid-utf8-header" else _control_bytes())
    name = draw(st.sampled_from(["comment", "source", "id"]))
    if name == "comment":
        headers.append(("comment", raw))
    else:
        headers = [(n, raw if n == name else v) for n, v in headers]
    return Bad(kind, headers, _body(data), notes={"field": name})


def _invalid_utf8() -> st.SearchStrategy[bytes]:
    def invalid(b: bytes) -> bool:
        try:
            b.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    lead = st.sampled_from([b"caf\xe9", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b"a\x80b"])
    return (
        st.tuples(lead, st.binary(max_size=4)).map(b"".join).filter(invalid).filter(_framing_safe)
    )


def _control_bytes() -> st.SearchStrategy[bytes]:
    control = st.sampled_from(
        [bytes([c]) for c in [*range(0, 9), *range(11, 13), *range(14, 32), 127]]
    )
    return st.tuples(
        st.text("abc", max_size=3).map(str.encode),
        control,
        st.text("xyz", max_size=3).map(str.encode),
    ).map(b"".join)


def _framing_safe(value: bytes) -> bool:
    """No CR or LF: those would end the header line (a different request, not a bad value)."""
    return b"\r" not in value and b"\n" not in value


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
