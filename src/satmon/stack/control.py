"""How ``satmon up / restart / stop / down`` reach the supervisor: a Unix socket in the run dir.

One request per connection, one JSON line: ``{"op": "up", "names": [...]}``. The
supervisor answers with progress lines ``{"say": "..."}`` and ends with ``{"ok": true,
"result": ...}`` or ``{"ok": false, "error": ..., "name": ..., "log_tail": ...}``. A
Unix socket, not a TCP port: it needs no port of the contract, works from any network
namespace that sees the run dir, and only users who may write the run dir can use it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from satmon.errors import SatmonError
from satmon.stack.outcome import ComponentFailed

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Callable[[str], None]], Any]
MAX_PATH = 100  # sun_path holds 108 bytes


class NoSupervisor(SatmonError):
    """Nobody answers on the run dir's socket."""


def socket_address(run_dir: Path) -> str:
    """``<run_dir>/supervisor.sock``, or an abstract name when that path is too long."""
    path = str(run_dir.resolve() / "supervisor.sock")
    if len(path.encode()) <= MAX_PATH:
        return path
    return "\0satmon-supervisor-" + hashlib.sha256(path.encode()).hexdigest()[:16]


class ControlServer:
    """Accepts requests in a thread; each connection is answered in a thread of its own."""

    def __init__(self, address: str, handle: Handler) -> None:
        self.address = address
        self.handle = handle
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._closed = threading.Event()

    def start(self) -> None:
        if not self.address.startswith("\0"):
            Path(self.address).unlink(missing_ok=True)
        self._sock.bind(self.address)
        self._sock.listen(8)
        threading.Thread(target=self._accept, name="control", daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        if not self.address.startswith("\0"):
            Path(self.address).unlink(missing_ok=True)

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as stream:

            def send(message: dict[str, Any]) -> None:
                with contextlib.suppress(OSError):
                    stream.write(json.dumps(message).encode() + b"\n")
                    stream.flush()

            try:
                request = json.loads(stream.readline() or b"{}")
                result = self.handle(request, lambda text: send({"say": text}))
            except ComponentFailed as exc:
                send({"ok": False, "error": str(exc), "name": exc.name, "reason": exc.reason,
                      "log_tail": exc.log_tail})  # fmt: skip
            except Exception as exc:
                log.exception("control request failed")
                send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
            else:
                send({"ok": True, "result": result})


def call(address: str, op: str, say: Callable[[str], None], **args: Any) -> Any:
    """Send one request and relay its progress lines to ``say``; the result, or raise."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(address)
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise NoSupervisor(f"no supervisor answers at {address.lstrip(chr(0))}") from exc
    with sock, sock.makefile("rwb") as stream:
        stream.write(json.dumps({"op": op, **args}).encode() + b"\n")
        stream.flush()
        for line in stream:
            message = json.loads(line)
            if "say" in message:
                say(message["say"])
                continue
            if message.get("ok"):
                return message.get("result")
            if "name" in message:
                raise ComponentFailed(message["name"], message["reason"], message["log_tail"])
            raise SatmonError(message.get("error", "the supervisor refused the request"))
    raise SatmonError("the supervisor closed the connection without an answer")


def answering(address: str) -> bool:
    try:
        call(address, "ping", lambda _text: None)
    except (NoSupervisor, SatmonError, OSError):
        return False
    return True
