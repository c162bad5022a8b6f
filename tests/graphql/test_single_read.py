"""A query the compiled path answers costs one round trip to PostgreSQL: its statement runs on
the driver's connection in autocommit, without BEGIN or COMMIT; a query it hands to Strawberry keeps its transaction.

These run on pooled connections of the session's engine (committed reference data), since
the tests' shared connection (``ConnectionDatabase``) has no autocommit to offer."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase
from lnob_api.graphql.compiled import FALLBACKS

QUERY = "query($c: String!) { coalition(code: $c) { code name } }"


class Wire:
    """What went to the server: prepared statements (SQLAlchemy's cursor events) and simple
    queries such as BEGIN and COMMIT (asyncpg's query loggers)."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.simple: list[str] = []

    def statement(self, _c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.statements.append(statement)

    def checkout(self, dbapi: Any, _record: Any, _proxy: Any) -> None:
        dbapi.driver_connection.add_query_logger(self.log)

    def checkin(self, dbapi: Any, _record: Any) -> None:
        dbapi.driver_connection.remove_query_logger(self.log)

    def log(self, record: Any) -> None:
        self.simple.append(record.query.strip().rstrip(";").upper())


@pytest.fixture
async def wire(engine: AsyncEngine) -> AsyncIterator[Wire]:
    seen = Wire()
    sync = engine.sync_engine
    event.listen(sync, "before_cursor_execute", seen.statement)
    event.listen(sync.pool, "checkout", seen.checkout)
    event.listen(sync.pool, "checkin", seen.checkin)
    try:
        yield seen
    finally:
        event.remove(sync, "before_cursor_execute", seen.statement)
        event.remove(sync.pool, "checkout", seen.checkout)
        event.remove(sync.pool, "checkin", seen.checkin)


async def _post(engine: AsyncEngine, keys: KeyStore, compiled: bool, body: dict[str, Any]) -> Any:
    from lnob_api.app import create_app

    settings = Settings(env="test", issuer="http://testserver", compiled=compiled)
    app = create_app(
        dataclasses.replace(settings, rate_limit=0), database=EngineDatabase(engine), keys=keys
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.post("/graphql", json=body)
    await asyncio.sleep(0.05)  # asyncpg hands its query log to the loop
    return response


async def _code(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        code = (await conn.execute(text("SELECT code FROM coalitions ORDER BY code"))).scalar()
    assert isinstance(code, str)
    return code


class TestRoundTrips:
    async def test_a_compiled_query_is_one_statement_without_begin_or_commit(
        self, engine: AsyncEngine, signing_keys: KeyStore, wire: Wire
    ) -> None:
        # given
        body = {"query": QUERY, "variables": {"c": await _code(engine)}}
        expected = await _post(engine, signing_keys, False, body)
        wire.statements.clear()
        wire.simple.clear()
        fell = sum(FALLBACKS.values())
        # when
        response = await _post(engine, signing_keys, True, body)
        # then
        assert sum(FALLBACKS.values()) == fell  # the compiled path answered
        assert response.status_code == 200
        assert response.json() == expected.json()
        assert response.json()["data"]["coalition"]["code"] == body["variables"]["c"]
        # asyncpg runs it itself (its query log sees it; SQLAlchemy's cursor events do not)
        assert wire.statements == []
        assert len(wire.simple) == 1, wire.simple  # no BEGIN, no COMMIT, no reset on release
        assert wire.simple[0].startswith("SELECT"), wire.simple

    async def test_a_query_strawberry_answers_keeps_its_transaction(
        self, engine: AsyncEngine, signing_keys: KeyStore, wire: Wire
    ) -> None:
        # given: the compiled path hands introspection to Strawberry
        query = (
            "query($c: String!) { __schema { queryType { name } } coalition(code: $c) { code } }"
        )
        body = {"query": query, "variables": {"c": await _code(engine)}}
        wire.simple.clear()
        fell = sum(FALLBACKS.values())
        # when
        response = await _post(engine, signing_keys, True, body)
        # then
        assert sum(FALLBACKS.values()) > fell
        assert response.json()["data"]["coalition"]["code"] == body["variables"]["c"]
        assert wire.statements
        assert wire.simple[0].startswith("BEGIN"), wire.simple
        assert wire.simple[-1:] == ["COMMIT"], wire.simple
