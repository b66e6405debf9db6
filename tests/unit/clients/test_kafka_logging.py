"""librdkafka's own records reach ``logging`` (logger ``librdkafka``), so they are JSON
records of the component like the rest, not bare text lines on stderr."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from satmon.clients.kafka import make_producer


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_broker_that_cannot_be_reached_is_a_logging_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    producer = make_producer(**{"bootstrap.servers": f"127.0.0.1:{_closed_port()}"})
    with caplog.at_level(logging.WARNING, logger="librdkafka"):
        deadline = time.monotonic() + 10
        while not caplog.records and time.monotonic() < deadline:
            producer.poll(0.1)  # librdkafka's records are served by poll()
    assert caplog.records, "librdkafka logged nothing through logging within 10 s"
    assert caplog.records[0].name == "librdkafka"
    assert "Connection refused" in caplog.records[0].getMessage()
