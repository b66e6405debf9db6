"""Letting reference counting free an httpx response as soon as it is done with.

httpx links a response and the stream it was read from both ways (the client's
``BoundSyncStream`` keeps its response), so every request leaves a reference cycle of
about 45 objects (the request, the response, their headers, the pool's wait event with
its lock and condition, the stream wrappers) that only the cyclic collector frees. On
the dispatcher's and the telemetry-writer's hot paths that garbage builds up between
young collections, which the processes run rarely on purpose (``satmon.gc_tuning``), and
each of those then frees it in one pause: about 330 ms every ~27 s in the dispatcher at
1,000 events/s (``bench pipeline``'s GC pauses).
"""

from __future__ import annotations

import httpx


def release(response: httpx.Response) -> httpx.Response:
    """Swap a fully read response's stream for an empty one, which breaks the cycle
    above, and return the response (``content``, ``json()``, ``text`` and ``close()`` keep
    working). A response whose body is still unread is left as it is."""
    if response.is_stream_consumed:
        response.stream = _EMPTY
    return response


_EMPTY = httpx.ByteStream(b"")
