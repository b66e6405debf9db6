"""Read a request body no further than a limit.

``request.get_data()`` keeps whatever a client sends in memory, and functions-framework
calls it after every answer so that the connection stays usable. Here a body over the
limit is read in small chunks and dropped, so that a too-large request costs time, not
memory, and that later ``get_data()`` finds the stream at its end.
"""

from __future__ import annotations

import flask

CHUNK_BYTES = 64 * 1024


def read_body(request: flask.Request, limit: int) -> bytes | None:
    """The body, or None when it is over ``limit`` bytes (then read and dropped)."""
    stream = request.stream
    length = request.content_length
    if length is not None and length > limit:
        _drain(stream)
        return None
    data = stream.read(limit + 1)
    if len(data) > limit:
        _drain(stream)
        return None
    return data


def _drain(stream: object) -> None:
    read = stream.read  # type: ignore[attr-defined]
    while read(CHUNK_BYTES):
        pass
