"""A client that leaves while the fast lane (``graphql.fastlane``) runs its remembered
statement: as on the whole stack (tests/db/test_left_compiled_read.py), the statement is
cancelled on the server and its connection stays in the pool, no reconnect.

Real parts: HTTP through the ASGI app on an engine's pool, the statement held by a real lock,
the client's disconnect as the ASGI server sends it, the lane answering (its counter)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import asyncpg
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
from tests.graphql.test_fast_lane import lane_of

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase

BODY = json.dumps({"query": QUERY}).encode()


async def _ask(app: Any, left: asyncio.Event | None = None) -> list[dict[str, Any]]:
    """One request as an ASGI server sends it; its client leaves once ``left`` is set."""
    sent: list[dict[str, Any]] = []
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await (left or asyncio.Event()).wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    await app(post_scope(BODY), receive, send)
    return sent


def _body(sent: list[dict[str, Any]]) -> Any:
    assert sent[0]["status"] == 200, sent
    return json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


async def test_a_client_leaving_the_lane_keeps_the_pool_connections(
    engine: AsyncEngine,  # noqa: F811 (the fixture of tests/db/test_left_compiled_read.py)
    database_url: str,
    signing_keys: KeyStore,
) -> None:
    # given an app on a pool of two connections, both opened, and the lane answering the read
    connected = await both_opened(engine)
    settings = dataclasses.replace(
        Settings(env="test", issuer="http://testserver", compiled=True), rate_limit=0
    )
    app = create_app(settings, database=EngineDatabase(engine), keys=signing_keys)
    expected = _body(await _ask(app))
    lane = lane_of(app)
    for _ in range(3):  # planned, remembered, then answered by the lane
        before = lane.served
        assert _body(await _ask(app)) == expected
    assert lane.served == before + 1
    pids = list(connected)
    assert len(pids) == 2
    observer = await asyncpg.connect(_plain(database_url))
    locker = await asyncpg.connect(_plain(database_url))
    try:
        # when the lane's statement waits for a lock the test holds, and its client goes away
        locker_tx = locker.transaction()
        await locker_tx.start()
        await locker.execute("LOCK TABLE datasets IN ACCESS EXCLUSIVE MODE")
        left = asyncio.Event()
        request = asyncio.ensure_future(_ask(app, left))
        waiting: list[str] = []
        for _ in range(250):
            waiting = await _running(observer, pids)
            if waiting:
                break
            await asyncio.sleep(0.02)
        assert len(waiting) == 1 and "datasets" in waiting[0], waiting
        left.set()
        await asyncio.wait_for(request, 10)
        # then the statement is not running any more, though the lock is still held
        still: list[str] = ["?"]
        for _ in range(250):
            still = await _running(observer, pids)
            if not still:
                break
            await asyncio.sleep(0.02)
        assert still == []
        assert lane.served == before + 2  # the lane had it, not the whole stack
        await locker_tx.rollback()
        # and the next requests are answered by the lane on the same server processes
        for _ in range(5):
            assert _body(await _ask(app)) == expected
        assert lane.served == before + 7
        assert connected == pids
        assert await _alive(observer, pids) == set(pids)
    finally:
        await locker.close()
        await observer.close()
