"""Two apps on one test transaction: the compiled path on, and off (Strawberry only)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.graphql.compiled import FALLBACKS, CompiledReads


@dataclasses.dataclass
class Pair:
    compiled: httpx.AsyncClient
    strawberry: httpx.AsyncClient
    reads: CompiledReads  # the compiled app's (its plan cache)

    async def both(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[bytes, bytes, bool]:
        """Both bodies, and whether the compiled path answered (no fallback counted)."""
        body = {"query": query, "variables": variables or {}}
        before = sum(FALLBACKS.values())
        one = await self.compiled.post("/graphql", json=body, headers=headers or {})
        compiled = sum(FALLBACKS.values()) == before
        two = await self.strawberry.post("/graphql", json=body, headers=headers or {})
        assert one.status_code == two.status_code
        return one.content, two.content, compiled


@asynccontextmanager
async def pair(conn: AsyncConnection, keys: KeyStore, **overrides: Any) -> AsyncIterator[Pair]:
    from lnob_api.app import create_app
    from lnob_api.db.request import ConnectionDatabase

    base = Settings(env="test", issuer="http://testserver", **overrides)
    apps = [
        create_app(
            dataclasses.replace(base, compiled=on), database=ConnectionDatabase(conn), keys=keys
        )
        for on in (True, False)
    ]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://testserver")
        for a in apps
    ]
    try:
        yield Pair(*clients, reads=apps[0].state.graphql.compiled)
    finally:
        for c in clients:
            await c.aclose()
