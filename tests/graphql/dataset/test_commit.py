"""An acknowledged mutation is committed; a failed one leaves nothing (real transactions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import EngineDatabase

CREATE = "mutation($input: DatasetCreateInput!) { datasetCreate(input: $input) { dataset { slug } userErrors { code } } }"


@pytest.fixture
async def committed(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[dict[str, Any]]:
    async with engine.begin() as conn:
        coalition = await f.create_coalition(conn, code="ZW")
        org = await f.create_organisation(conn)
        client = await f.create_client(conn, org)
        user = await f.create_user(conn)
        await f.give_role(conn, user, coalition, "EDITOR")
    token = token_for(signing_keys, client=client, user=user, scopes=("data:read", "data:write"))
    yield {"coalition": coalition, "token": token}
    async with engine.begin() as conn:
        cid = coalition["id"]
        await conn.execute(
            sa.delete(models.AuditEvent.__table__).where(models.AuditEvent.coalition_id == cid)
        )
        await conn.execute(
            sa.delete(models.Dataset.__table__).where(models.Dataset.coalition_id == cid)
        )
        await conn.execute(
            sa.delete(models.CoalitionUserRole.__table__).where(
                models.CoalitionUserRole.coalition_id == cid
            )
        )
        await conn.execute(sa.delete(models.Coalition.__table__).where(models.Coalition.id == cid))
        await conn.execute(
            sa.delete(models.OAuthClient.__table__).where(
                models.OAuthClient.client_id == client["client_id"]
            )
        )
        await conn.execute(
            sa.delete(models.Organisation.__table__).where(models.Organisation.id == org["id"])
        )
        await conn.execute(sa.delete(models.User.__table__).where(models.User.id == user["id"]))


async def test_acknowledged_write_is_committed(
    engine: AsyncEngine, signing_keys: KeyStore, committed: dict[str, Any]
) -> None:
    app = create_app(
        Settings(env="test", issuer="http://testserver"),
        database=EngineDatabase(engine),
        keys=signing_keys,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        ok = await client.post(
            "/graphql",
            json={
                "query": CREATE,
                "variables": {"input": {"coalition": "ZW", "title": "Committed survey"}},
            },
            headers=bearer(committed["token"]),
        )
        bad = await client.post(
            "/graphql",
            json={"query": CREATE, "variables": {"input": {"coalition": "ZW", "title": "x" * 400}}},
            headers=bearer(committed["token"]),
        )
    assert ok.json()["data"]["datasetCreate"]["userErrors"] == []
    assert bad.json()["data"]["datasetCreate"]["userErrors"] == [{"code": "TOO_LONG"}]
    async with engine.connect() as conn:  # a different connection: only committed rows show
        titles = (
            (
                await conn.execute(
                    sa.select(models.Dataset.title).where(
                        models.Dataset.coalition_id == committed["coalition"]["id"]
                    )
                )
            )
            .scalars()
            .all()
        )
        actions = (
            (
                await conn.execute(
                    sa.select(models.AuditEvent.action).where(
                        models.AuditEvent.coalition_id == committed["coalition"]["id"]
                    )
                )
            )
            .scalars()
            .all()
        )
    assert titles == ["Committed survey"]
    assert actions == ["dataset.create"]
