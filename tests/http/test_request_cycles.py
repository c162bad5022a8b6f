"""A request leaves nothing for the cyclic garbage collector: once answered, its outage
exchange (and through it the response's compressor, whose buffers Python's allocator does not
see) is freed by reference counting alone. A cycle there kept every slow request's objects
until one of the collector's rare full passes, and one worker's RSS grew by ~100 MiB under
load (issue 12). Real HTTP through the ASGI app (httpx), no database involved."""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import Iterator
from typing import Any

import brotli
import httpx
import pytest

from lnob_api.http import compression, outage
from lnob_api.http.compression import CompressionMiddleware
from lnob_api.http.outage import OutageMiddleware

BODY = json.dumps({"data": {"rows": [{"code": f"1.{i}.1", "value": i} for i in range(500)]}})


@pytest.fixture
def no_collector() -> Iterator[None]:
    """Only reference counting frees objects while the test runs."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _Endpoint:
    """Answers after ``delay`` seconds, remembering (weakly) the exchange it was called with."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.exchanges: list[weakref.ref[Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.exchanges.append(weakref.ref(send.__self__))
        await receive()
        await asyncio.sleep(self.delay)
        body = BODY.encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _alive(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


async def _settle() -> None:
    """Let the cancelled watcher tasks finish."""
    for _ in range(5):
        await asyncio.sleep(0)


class TestRequestCycles:
    @pytest.mark.parametrize("delay", [0, 5 * outage.WATCH_AFTER], ids=["quick", "watched"])
    async def test_an_answered_request_is_freed_without_the_collector(
        self, delay: float, no_collector: None
    ) -> None:
        # given the compression and outage middlewares around an endpoint; a slow request
        # (the watched one) gets a disconnect watcher task
        endpoint = _Endpoint(delay)
        # (what earlier tests of a full run still hold, reachable, is not this test's)
        before = (_alive(compression._Responder), _alive(compression._Brotli))
        app = CompressionMiddleware(OutageMiddleware(endpoint, request_timeout=10))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            # when three requests are answered with brotli
            for _ in range(3):
                response = await client.post(
                    "/graphql", content=b"{}", headers={"Accept-Encoding": "br"}
                )
                assert response.status_code == 200
                assert response.headers["content-encoding"] == "br"
                assert response.json() == json.loads(BODY)
            await _settle()
        # then no exchange, responder or compressor is left, with the collector off
        assert len(endpoint.exchanges) == 3
        assert all(isinstance(ref(), outage._Exchange | None) for ref in endpoint.exchanges)
        assert [ref() for ref in endpoint.exchanges] == [None, None, None]
        assert (_alive(compression._Responder), _alive(compression._Brotli)) == before

    async def test_the_compressor_goes_once_the_body_is_complete(self) -> None:
        # given a responder that compresses with brotli
        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(message)

        responder = compression._Responder(send, "br", named=False, minimum_size=10)
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
        await responder.send(start)
        # when the body arrives in two parts
        await responder.send(
            {"type": "http.response.body", "body": b"[1,2,3" * 50, "more_body": True}
        )
        # then the compressor is held while the body flows, and dropped once it is complete
        assert responder._compressor is not None
        await responder.send({"type": "http.response.body", "body": b"]"})
        assert responder._compressor is None
        assert sent[-1]["more_body"] is False
        assert sent[0]["type"] == "http.response.start"
        assert brotli.decompress(b"".join(m["body"] for m in sent[1:])) == b"[1,2,3" * 50 + b"]"
