"""Binary-mode attribute values: from the bytes on the wire to the string the sender meant.

The CloudEvents HTTP binding percent-encodes a ``ce-*`` value (space, ``"``, ``%`` and
anything outside printable ASCII) and the receiver decodes it to UTF-8, refusing
invalid UTF-8. Not every SDK encodes: the Go SDK (and so every Knative component) and
the Python SDK put the value in the header as is, which on the wire is its raw UTF-8
bytes. A WSGI server hands header values over as ISO-8859-1, one character per byte
(PEP 3333), so reading that string as text is what turned ``héllo`` into ``hÃ©llo``.

Here the value is taken back to its bytes, percent-decoded, and decoded as strict
UTF-8: raw UTF-8 (Go) and percent-encoded UTF-8 (the binding) both give the meant
string; bytes that are not UTF-8 (e.g. Latin-1, which Python's ``http.client`` writes
for ``é``) are refused with a 400 that says how to encode. Characters the CloudEvents
type system disallows in a String (control characters, noncharacters) are refused too:
they cannot travel on as HTTP headers anyway.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from satmon.contract.http.problems import HttpProblem

_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
DISALLOWED = re.compile(f"[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ud800-\udfff{_NONCHARACTERS}]")
"""What a CloudEvents String may not hold (spec.md, type system)."""
HOW_TO_ENCODE = (
    "percent-encode the value's UTF-8 bytes (é is %C3%A9), or send the event in structured mode"
)


def attribute_value(value: str, header: str) -> str:
    """The string meant by one ``ce-*`` header value; HttpProblem 400 naming ``header``.

    ``value`` is the header as a WSGI server passes it (one character per byte). A
    string holding characters above U+00FF did not come from the wire; it is taken as
    the text itself.
    """
    if value.isascii() and "%" not in value:
        text = value
    else:
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            raw = value.encode("utf-8")
        text = _utf8(unquote_to_bytes(raw), header, percent_encoded=raw.isascii())
    check_text(text, header)
    return text


def check_text(text: str, field: str) -> None:
    """HttpProblem 400 when ``text`` holds a character a CloudEvents String may not."""
    bad = DISALLOWED.search(text)
    if bad:
        raise HttpProblem(
            400,
            f"{field} holds the control character or noncharacter U+{ord(bad.group()):04X} "
            f"at position {bad.start()}; CloudEvents attribute values are printable text",
            field,
        )


def _utf8(raw: bytes, header: str, percent_encoded: bool) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.end].hex(" ").upper()
        if percent_encoded:
            detail = f"{header}: its percent-decoded bytes are not valid UTF-8 (byte {bad})"
        else:
            detail = f"{header} carries bytes that are not UTF-8 (byte {bad})"
        raise HttpProblem(400, f"{detail}; {HOW_TO_ENCODE}", header) from exc
