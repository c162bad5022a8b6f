"""A client that leaves during a compiled read (``RequestDb.driver_row`` on
``EngineDatabase.raw_statement``): its statement is cancelled on the server, and the
connection it ran on, idle again once PostgreSQL answered the cancel, stays in the pool. The
next requests are served by the same server processes, with no reconnect.

Real parts: HTTP through the ASGI app on an engine's pool, the statement held by a real lock
(the test locks the table it reads), the client's disconnect as the ASGI server sends it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.engine import create_engine
from lnob_api.db.request import EngineDatabase

QUERY = "query LeftRead { datasets(first: 5) { nodes { slug } } }"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(database_url, pool_size=2)
    yield eng
    await eng.dispose()


def post_scope(body: bytes) -> dict[str, Any]:
    """The ASGI scope of a JSON POST /graphql carrying ``body``, as an ASGI server sends it."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _running(observer: asyncpg.Connection, pids: list[int]) -> list[str]:
    """Statements that the pool's server processes are running now."""
    rows = await observer.fetch(
        "SELECT query FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND state = 'active'",
        pids,
    )
    return [row["query"] for row in rows]


async def _alive(observer: asyncpg.Connection, pids: list[int]) -> set[int]:
    rows = await observer.fetch("SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids)
    return {int(row["pid"]) for row in rows}


async def both_opened(engine: AsyncEngine) -> list[int]:
    """The server pids of every connection the engine opens from now on, after opening both of
    its pool's two (one for the read, one for the cancel): a test compares them after its
    requests to show that no connection was opened again."""
    connected: list[int] = []

    @event.listens_for(engine.sync_engine, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        connected.append(dbapi_connection.driver_connection.get_server_pid())

    async with engine.connect() as a, engine.connect() as b:
        for conn in (a, b):
            await conn.exec_driver_sql("SELECT 1")
    return connected


async def test_a_client_leaving_a_compiled_read_keeps_the_pool_connections(
    engine: AsyncEngine, database_url: str, signing_keys: KeyStore
) -> None:
    # given an app on a pool of two connections, both opened (one for the read, one for the
    # cancel), and the compiled read's plan cached
    connected = await both_opened(engine)
    settings = dataclasses.replace(
        Settings(env="test", issuer="http://testserver", compiled=True), rate_limit=0
    )
    app = create_app(settings, database=EngineDatabase(engine), keys=signing_keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for _ in range(3):
            answer = await client.post("/graphql", json={"query": QUERY})
            assert answer.status_code == 200, answer.text
        expected = answer.json()
        pids = list(connected)
        assert len(pids) == 2
        observer = await asyncpg.connect(_plain(database_url))
        locker = await asyncpg.connect(_plain(database_url))
        try:
            # when a read waits for a lock the test holds, and its client goes away
            locker_tx = locker.transaction()
            await locker_tx.start()
            await locker.execute("LOCK TABLE datasets IN ACCESS EXCLUSIVE MODE")
            body = json.dumps({"query": QUERY}).encode()
            left = asyncio.Event()
            sent: list[dict[str, Any]] = []

            async def receive() -> dict[str, Any]:
                if not sent:
                    sent.append({})
                    return {"type": "http.request", "body": body, "more_body": False}
                await left.wait()
                return {"type": "http.disconnect"}

            async def send(message: Any) -> None:
                sent.append(message)

            scope = post_scope(body)
            request = asyncio.ensure_future(app(scope, receive, send))
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
            await locker_tx.rollback()
            # and the next requests are answered by the same server processes, no reconnect
            for _ in range(5):
                answer = await client.post("/graphql", json={"query": QUERY})
                assert answer.status_code == 200, answer.text
                assert answer.json() == expected
            assert connected == pids
            assert await _alive(observer, pids) == set(pids)
        finally:
            await locker.close()
            await observer.close()
