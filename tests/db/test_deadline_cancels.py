"""A request that outlives its deadline (``LNOB_REQUEST_TIMEOUT``) while its statement waits:
the 503 goes out, and the statement is cancelled on the server, not left running on to its
statement_timeout with a pooled connection held (as when the client leaves:
tests/db/test_left_compiled_read.py). The connection it ran on, idle again once PostgreSQL
answered the cancel, stays in the pool: the next requests are served by the same server
processes, with no reconnect. On each path a read takes: the whole stack (Strawberry, in a
transaction), the compiled read (``RequestDb.driver_row``) and the fast lane.

Real parts: HTTP through the ASGI app on an engine's pool, the statement held by a real lock
(the test locks the table it reads), the request deadline as the outage middleware runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.db.test_left_compiled_read import (  # noqa: F401
    QUERY,
    _alive,
    _plain,
    _running,
    both_opened,
    engine,
    post_scope,
)
from tests.graphql.test_fast_lane import lane_of, lane_off

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase

BODY = json.dumps({"query": QUERY}).encode()
DEADLINE = 0.5  # seconds; the engine's statement_timeout is 15 s


async def _ask(app: Any) -> tuple[int, dict[bytes, bytes], Any]:
    """One request as an ASGI server sends it, from a client that waits for its answer."""
    sent: list[dict[str, Any]] = []
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await asyncio.Event().wait()  # the client stays
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(post_scope(BODY), receive, send)
    headers = dict(sent[0]["headers"])
    return sent[0]["status"], headers, json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


async def _poll(check: Any, done: Any) -> Any:
    """``check()`` until ``done`` holds of its value, at most about 5 s."""
    value = await check()
    for _ in range(250):
        if done(value):
            break
        await asyncio.sleep(0.02)
        value = await check()
    return value


@pytest.mark.parametrize("path", ["whole stack", "compiled read", "fast lane"])
async def test_a_request_past_its_deadline_cancels_its_statement_and_keeps_the_pool(
    path: str,
    engine: AsyncEngine,  # noqa: F811 (the fixture of tests/db/test_left_compiled_read.py)
    database_url: str,
    signing_keys: KeyStore,
) -> None:
    # given an app on a pool whose two connections are open (one for the read, one for the
    # cancel), a request deadline of 0.5 s, and the read answered on the path under test
    connected = await both_opened(engine)
    settings = Settings(env="test", issuer="http://testserver", compiled=path != "whole stack")
    settings = dataclasses.replace(
        settings, rate_limit=0, response_cache_mb=0, request_timeout=DEADLINE
    )
    app = create_app(settings, database=EngineDatabase(engine), keys=signing_keys)
    lane = lane_of(app)
    with contextlib.nullcontext() if path == "fast lane" else lane_off():
        answers = [await _ask(app) for _ in range(3)]  # planned and remembered, then the lane's
        assert {status for status, _, _ in answers} == {200}, answers
        expected = answers[0][2]
        served = lane.served
        assert served > 0 if path == "fast lane" else served == 0
        step = 1 if path == "fast lane" else 0
        pids = list(connected)
        assert len(pids) == 2
        observer = await asyncpg.connect(_plain(database_url))
        locker = await asyncpg.connect(_plain(database_url))
        try:
            # when the read waits for a lock the test holds until its deadline has passed
            locker_tx = locker.transaction()
            await locker_tx.start()
            await locker.execute("LOCK TABLE datasets IN ACCESS EXCLUSIVE MODE")
            request = asyncio.ensure_future(_ask(app))
            waiting = await _poll(lambda: _running(observer, pids), bool)
            assert len(waiting) == 1 and "datasets" in waiting[0], waiting
            status, headers, body = await asyncio.wait_for(request, 10)
            # then the client is told so
            assert status == 503, body
            assert headers[b"retry-after"] == b"5"
            assert body["errors"][0]["extensions"]["code"] == "TIMEOUT"
            assert "data" not in body
            # and the statement is not running any more, though the lock is still held
            assert await _poll(lambda: _running(observer, pids), lambda v: v == []) == []
            assert lane.served == served + step  # the lane had it, on its path
            await locker_tx.rollback()
            # and the next requests are answered on the same server processes, no reconnect
            for _ in range(5):
                status, _, body = await _ask(app)
                assert (status, body) == (200, expected)
            assert lane.served == served + 6 * step
            assert connected == pids
            assert await _alive(observer, pids) == set(pids)
        finally:
            await locker.close()
            await observer.close()
