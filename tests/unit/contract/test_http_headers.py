"""Binary-mode header values: the string the sender meant, whichever way it was encoded."""

import pytest

from satmon.contract.http import HttpProblem, attribute_value

MEANT = "héllo wörld ✓"


def wire(raw: bytes) -> str:
    """A header value as a WSGI server hands it over: one character per byte."""
    return raw.decode("latin-1")


@pytest.mark.parametrize(
    "raw",
    [
        MEANT.encode(),  # raw UTF-8: the Go and Python SDKs
        b"h%C3%A9llo%20w%C3%B6rld%20%E2%9C%93",  # the binding's percent-encoding
        b"h%c3%a9llo w%c3%b6rld %e2%9c%93",  # lower-case hex, spaces left as they are
        "héllo%20wörld ✓".encode(),  # both at once
    ],
)
def test_every_encoding_of_the_value_gives_the_meant_string(raw):
    assert attribute_value(wire(raw), "ce-comment") == MEANT


def test_plain_ascii_and_lone_percent_signs_stay_as_sent():
    assert attribute_value("/satellites/SAT-001", "ce-source") == "/satellites/SAT-001"
    assert attribute_value("100%", "ce-comment") == "100%"


def test_text_that_never_was_bytes_is_taken_as_text():
    assert attribute_value(MEANT, "ce-comment") == MEANT


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"caf\xe9", "carries bytes that are not UTF-8 (byte E9); percent-encode"),
        (b"caf%E9", "percent-decoded bytes are not valid UTF-8 (byte E9)"),
        (b"a%00b", "U+0000 at position 1"),
        (b"line%0Abreak", "U+000A"),
        (b"%C2%85", "U+0085"),  # C1 control, valid UTF-8
        (b"%EF%BF%BE", "U+FFFE"),  # a noncharacter
        (b"%ED%A0%80", "not valid UTF-8"),  # a UTF-8-encoded surrogate
    ],
)
def test_bytes_that_are_not_cloudevents_text_are_a_400_naming_the_header(raw, says):
    with pytest.raises(HttpProblem) as caught:
        attribute_value(wire(raw), "ce-comment")
    assert (caught.value.status, caught.value.field) == (400, "ce-comment")
    assert says in caught.value.detail
