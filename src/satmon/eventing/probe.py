"""Wait for a subscriber to accept connections before consuming anything for it.

A function may start later than the dispatcher (``satmon up`` starts them together);
events consumed before it listens would burn their retries and end in the dead-letter
topic for nothing.
"""

from __future__ import annotations

import logging
import socket
import threading

import httpx

log = logging.getLogger(__name__)


def wait_for_sink(url: str, stop: threading.Event, name: str, interval: float = 0.5) -> bool:
    """Block until ``url``'s host and port accept a TCP connection; False if stopped first."""
    parsed = httpx.URL(url)
    address = (parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))
    warned = False
    while not stop.is_set():
        try:
            with socket.create_connection(address, timeout=1.0):
                return True
        except OSError:
            if not warned:
                log.warning("%s: waiting for %s to accept connections", name, url)
                warned = True
        stop.wait(interval)
    return False
