"""``release``: a read httpx response leaves no reference cycle behind (httpx's in-memory
MockTransport; the cycle is the client's, whatever the transport)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator

import httpx
import pytest

from satmon.clients.responses import release


def _answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(207, json={"rejected": []}, headers={"Retry-After": "3"})


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(_answer)) as c:
        yield c


def _cyclic_garbage(client: httpx.Client, after: Callable[[httpx.Response], object]) -> int:
    """Objects only the cyclic collector would free after 20 posts."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(20):
            response = client.post("http://sink.test/", content=b"[]")
            response.read()
            after(response)
            del response
        gc.collect()
        return len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_a_read_response_is_a_reference_cycle_without_release(client: httpx.Client) -> None:
    assert _cyclic_garbage(client, lambda r: None) >= 20


def test_release_leaves_nothing_for_the_cyclic_collector(client: httpx.Client) -> None:
    assert _cyclic_garbage(client, release) == 0


def test_a_released_response_still_answers(client: httpx.Client) -> None:
    response = release(client.post("http://sink.test/", content=b"[]"))
    assert response.status_code == 207
    assert response.json() == {"rejected": []}
    assert response.content == b'{"rejected":[]}'
    assert response.headers["Retry-After"] == "3"
    response.close()


def test_an_unread_stream_is_left_alone(client: httpx.Client) -> None:
    with client.stream("POST", "http://sink.test/", content=b"[]") as response:
        release(response)
        assert response.read() == b'{"rejected":[]}'
