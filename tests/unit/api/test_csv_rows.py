"""CSV rows straight from VictoriaMetrics' export text: the same bytes as decoding every
value and formatting it with ``repr``, whichever path a chunk takes."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from satmon.api import csv_rows, samples
from satmon.api.csv_rows import cells_text, export_rows, join_rows, rfc3339_ms, rows
from satmon.api.upstream.vm import parse_export

T0_MS = 1_796_299_013_000  # 2026-12-03T11:56:53Z
METRICS = ["temperature", "battery", "solar_power"]


def vm_text(value: float) -> str:
    """A float as VictoriaMetrics' export writes it: a whole number without a point, any
    other in positional notation (``0.00001``, never ``1e-05``)."""
    if value == int(value):
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def decoded(values: bytes) -> list[bytes]:
    """What the export gave before: every value decoded, then ``repr``."""
    return [repr(v).encode() for v in orjson.loads(b"[" + values + b"]")]


decimals = st.builds(round, st.floats(-500, 500, allow_nan=False), st.integers(0, 5))
telemetry = decimals | st.floats(-1e17, 1e17, allow_nan=False, allow_infinity=False)


@given(st.lists(telemetry, min_size=1, max_size=50))
@settings(max_examples=400, deadline=None)
def test_cells_are_the_repr_of_each_decoded_value(values: list[float]) -> None:
    text = ",".join(map(vm_text, values)).encode()
    assert cells_text(text) == decoded(text)


def test_text_that_repr_would_write_otherwise_is_decoded_and_formatted() -> None:
    verbatim = b"12.3,68,0,-0.25,0.0001,421.7,99999999999999.9"
    assert cells_text(verbatim) == verbatim.split(b",")
    assert csv_rows._verbatim(verbatim)
    for text, cell in [
        (b"0.00001", b"1e-05"),  # below 1e-4 repr uses an exponent
        (b"1.50", b"1.5"),  # a trailing zero is not the shortest form
        (b"-0", b"0"),  # decoded as the int 0
        (b"0.12345678901234567", b"0.12345678901234566"),  # more digits than survive
        (b"100000000000000000000", b"1e+20"),  # beyond 64 bits: a float
        (b"1e5", b"100000.0"),
        (b"-0.0", b"-0.0"),
        (b"1.2", b"1.2"),
    ]:
        assert cells_text(b"1.5," + text) == [b"1.5", cell], text


def test_only_text_in_reprs_own_form_is_taken_as_it_is() -> None:
    for text in [b"0", b"-7", b"0.0001", b"-0.5", b"10.05", b"123456789012345", b"1.5,2,-3.25"]:
        assert csv_rows._verbatim(text), text
    for text in [
        *(b"007", b"-0", b"1.50", b"0.00001", b"-0.00009", b".5", b"-.5", b"1.", b"1.2.3"),
        *(b"5-", b"-", b"", b"1e5", b"00.5", b"1234567890123456.5", b"1,,2", b"1,", b"nan"),
    ]:
        assert not csv_rows._verbatim(text), text


@given(st.lists(st.integers(-62_135_596_800_000 - 10**6, 253_402_300_800_000 + 10**6), max_size=40))
@settings(max_examples=200, deadline=None)
def test_stamps_are_numpys_rfc3339_text(times: list[int]) -> None:
    array = np.asarray(times, dtype=np.int64)
    want = np.datetime_as_string(array.astype("datetime64[ms]"), unit="ms", timezone="UTC")
    assert rfc3339_ms(array) == [t.encode() for t in want.tolist()]


def test_rows_join_with_commas_and_newlines() -> None:
    assert join_rows([b"t1", b"t2"], [[b"1", b"2"], [b"", b"4"]]) == b"t1,1,\nt2,2,4\n"
    assert join_rows([], [[], []]) == b""


def _line(metric: str, values: list[float], stamps: list[int]) -> bytes:
    labels = orjson.dumps({"__name__": f"satellite_{metric}", "satellite_id": "SAT-001"})
    text = ",".join(map(vm_text, values))
    return b'{"metric":%s,"values":[%s],"timestamps":[%s]}' % (
        labels,
        text.encode(),
        ",".join(map(str, stamps)).encode(),
    )


def _generic(answer: bytes) -> bytes:
    return rows(samples.by_metric(parse_export(answer)), METRICS)


@given(st.lists(st.tuples(telemetry, telemetry, telemetry), min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_an_aligned_answer_passes_text_through_to_the_same_rows(
    samples_: list[tuple[float, float, float]],
) -> None:
    stamps = [T0_MS + 1000 * i for i in range(len(samples_))]
    answer = b"\n".join(
        _line(m, [s[i] for s in samples_], stamps) for i, m in enumerate(METRICS[::-1])
    )
    answer += b"\n"
    assert csv_rows._aligned(answer, METRICS) is not None  # the fast path was taken
    assert export_rows(answer, METRICS) == _generic(answer)


def test_other_answers_are_decoded_merged_and_filled() -> None:
    a, b = [T0_MS, T0_MS + 1000], [T0_MS + 1000, T0_MS + 2000]
    cases = {
        "timestamps differ": [
            _line("temperature", [1.5, 2.0], a),
            _line("battery", [3.9, 4.0], b),
            _line("solar_power", [0.0, 7.25], a),
        ],
        "a series in two parts": [
            _line("temperature", [2.5], [T0_MS + 2000]),
            _line("temperature", [1.5, 2.0], a),
            _line("battery", [3.9, 4.0, 4.1], [*a, T0_MS + 2000]),
            _line("solar_power", [0.0, 7.0, 8.0], [*a, T0_MS + 2000]),
        ],
        "a metric missing": [_line("temperature", [1.5, 2.0], a), _line("battery", [3, 4], a)],
        "out of order": [_line(m, [1.5, 2.5], a[::-1]) for m in METRICS],
    }
    for case, lines in cases.items():
        answer = b"\n".join(lines)
        assert csv_rows._aligned(answer, METRICS) is None, case
        assert export_rows(answer, METRICS) == _generic(answer), case
    merged = export_rows(b"\n".join(cases["timestamps differ"]), METRICS)
    assert merged.splitlines() == [  # whole numbers as the export wrote them
        b"2026-12-03T11:56:53.000Z,1.5,,0",
        b"2026-12-03T11:56:54.000Z,2,3.9,7.25",
        b"2026-12-03T11:56:55.000Z,,4,",
    ]
    assert export_rows(b"", METRICS) == b""
