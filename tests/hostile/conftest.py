"""One world for the hostile-input suite: the export fixture data plus an editor with a token,
inside a module-wide transaction that is rolled back at the end, and a client on the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests import factories as f
from tests.export.export_world import build_world
from tests.helpers import bearer, token_for

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase


@pytest.fixture(scope="module")
async def hostile(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[dict[str, Any]]:
    async with engine.connect() as conn:
        outer = await conn.begin()
        world = await build_world(conn, signing_keys)
        org = await f.create_organisation(conn)
        await f.add_member(conn, world["a"], org)
        client = await f.create_client(conn, org)
        user = await f.create_user(conn)
        await f.join_organisation(conn, user, org)
        await f.give_role(conn, user, world["a"], "ADMIN")
        scopes = ("data:read", "data:write", "coalition:admin")
        world["headers"]["editor"] = bearer(
            token_for(signing_keys, client=client, user=user, scopes=scopes)
        )
        world["oauth_client"] = client
        app = create_app(
            Settings(env="test", issuer="http://testserver"),
            database=ConnectionDatabase(conn),
            keys=signing_keys,
        )
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            world["http"] = http
            yield world
        await outer.rollback()
