"""Functions as real servers (satmon host over gunicorn) and the exact bytes a client sends.

``send`` writes a request byte for byte, the way the Go CloudEvents SDK's HTTP client
does (canonical header names, raw header values, ``Content-Length``), so that what the
server sees is what that client put on the wire, never what a Python HTTP library
would have made of it.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from satmon.contract.events import from_kafka
from satmon.settings import REPO_ROOT, get_settings

Header = tuple[bytes, bytes]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def function_server(
    name: str, target: str, signature: str = "cloudevent", env: Mapping[str, str] | None = None
) -> Iterator[int]:
    """Serve functions/<name> from this checkout (satmon host, gunicorn) on a free port."""
    port = free_port()
    argv = [
        sys.executable, "-m", "satmon.fnhost",
        "--source", str(REPO_ROOT / "functions" / name / "main.py"),
        "--target", target, "--signature-type", signature, "--port", str(port),
    ]  # fmt: skip
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            argv, cwd=REPO_ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=log
        )
        try:
            _wait_for_port(port, proc, log)
            yield port
        finally:
            proc.terminate()
            proc.wait(15)


def ingress_server(env: Mapping[str, str] | None = None) -> Any:
    """The ingress function on a free port; yields the port."""
    return function_server("ingress", "ingest_cloudevent", "http", env)


def _wait_for_port(port: int, proc: subprocess.Popen, log: Any) -> None:
    deadline = time.monotonic() + 90  # imports take long on a busy two-core machine
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                out = log.read().decode(errors="replace")
                raise RuntimeError(f"{proc.args[4]} did not start: {out[-2000:]}") from None
            time.sleep(0.1)


def send(port: int, request: bytes, timeout: float = 30.0) -> Answer:
    """Write ``request`` as is and read one HTTP answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, headers, body)


def go_request(port: int, headers: Sequence[Header], body: bytes, method: bytes = b"POST") -> bytes:
    """The request Go's net/http client writes for these headers and body."""
    lines = [
        method + b" / HTTP/1.1",
        b"Host: 127.0.0.1:%d" % port,
        b"User-Agent: Go-http-client/1.1",
        b"Content-Length: %d" % len(body),
        *(name + b": " + value for name, value in headers),
        b"Accept-Encoding: gzip",
        b"",
        b"",
    ]
    return b"\r\n".join(lines) + body


def token_header() -> Header:
    return (b"Authorization", b"Bearer " + get_settings().api_token.encode())


def binary_headers(event_id: str, source: str, **extensions: bytes) -> list[Header]:
    """sdk-go's binary-mode headers for a telemetry event (values raw, as it sends them)."""
    headers = [
        token_header(),
        (b"Ce-Id", event_id.encode()),
        (b"Ce-Source", source.encode()),
        (b"Ce-Specversion", b"1.0"),
        (b"Ce-Type", b"io.satmon.telemetry.v1"),
        (b"Content-Type", b"application/json"),
    ]
    headers += [(b"Ce-" + name.capitalize().encode(), value) for name, value in extensions.items()]
    return headers


def collect(
    consumer: Any, event_ids: set[str], seconds: float = 8.0, whole_window: bool = False
) -> dict[str, list[Any]]:
    """The CloudEvents carrying one of ``event_ids`` that arrive within ``seconds``
    (returns once each id was seen, unless ``whole_window``: to count duplicates)."""
    found: dict[str, list[Any]] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (whole_window or set(found) != event_ids):
        for msg in consumer.consume(num_messages=1000, timeout=0.25):
            if msg.error():
                continue
            event = from_kafka(msg.topic(), msg.key(), msg.value(), msg.headers())
            if event["id"] in event_ids:
                found.setdefault(event["id"], []).append(event)
    return found
