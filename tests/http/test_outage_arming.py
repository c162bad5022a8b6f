"""The outage middleware arms its requests' deadlines with one timer per event loop
(``http.outage._Arming``): a request that joins while the timer waits for an earlier one is
bounded too, the timer starts again after an idle spell, and a request that answered leaves
nothing behind; so does a ``native`` one (its app stopped by a cancellation of the request's
task, not by an anyio scope), which leaves a cancellation of someone else's alone. Real HTTP
through the ASGI app (httpx), no database involved."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from lnob_api.http import outage
from lnob_api.http.outage import OutageMiddleware


async def _endpoint(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers ``/fast`` at once; anything else only after far longer than any deadline."""
    await receive()
    if scope["path"] != "/fast":
        await asyncio.sleep(30)
    body = b'{"data":{"ok":true}}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"20")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(
    params=[(True, False), (False, False), (True, True)],
    ids=["shared-timer", "timer-each", "native"],
)
def middleware(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    shared, native = request.param
    monkeypatch.setattr(outage, "SHARED_TIMER", shared)
    return OutageMiddleware(_endpoint, request_timeout=0.3, native=native)


def _timed_out(response: httpx.Response) -> bool:
    body = json.loads(response.content)
    return response.status_code == 503 and body["errors"][0]["extensions"]["code"] == "TIMEOUT"


async def test_every_request_in_flight_is_bounded_by_its_deadline(middleware: Any) -> None:
    transport = httpx.ASGITransport(app=middleware)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        # when a slow request runs and others join it while the first one's arming is pending
        first = asyncio.ensure_future(client.post("/graphql/slow", content=b"{}"))
        await asyncio.sleep(0.005)
        second = asyncio.ensure_future(client.post("/graphql/slow", content=b"{}"))
        fast = await client.post("/fast", content=b"{}")
        answers = await asyncio.wait_for(asyncio.gather(first, second), timeout=10)
        # then the quick one is answered and each slow one gets the timeout answer
        assert fast.status_code == 200
        assert fast.json() == {"data": {"ok": True}}
        assert [_timed_out(a) for a in answers] == [True, True]
        # and after an idle spell the next slow request is bounded as well
        await asyncio.sleep(0.05)
        later = await asyncio.wait_for(client.post("/graphql/slow", content=b"{}"), timeout=10)
        assert _timed_out(later)
    # and nothing waits to be armed once every request has ended
    arming = getattr(middleware, "_arming", None)
    if outage.SHARED_TIMER:
        assert arming is not None and arming.waiting == {}


async def test_a_native_middleware_leaves_a_cancellation_of_the_servers_alone() -> None:
    # given a request in a native middleware, waiting in its app far from its deadline
    middleware = OutageMiddleware(_endpoint, request_timeout=30, native=True)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql/slow", "headers": []}
    request = asyncio.ensure_future(middleware(scope, receive, send))
    await asyncio.sleep(0.05)  # past WATCH_AFTER: its deadline is armed
    # when the server cancels it (shutting down)
    request.cancel()
    # then the request ends cancelled, without an answer of its own
    with pytest.raises(asyncio.CancelledError):
        await request
    assert request.cancelled()
    assert sent == []
