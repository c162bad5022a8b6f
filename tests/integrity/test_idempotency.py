"""``Idempotency-Key`` on create mutations, on committed data through real HTTP requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integrity.world import World, committed_world

from lnob_api import models
from lnob_api.auth.keys import KeyStore

CREATE = (
    "mutation($i: DatasetCreateInput!) { datasetCreate(input: $i) {"
    " dataset { id slug title } userErrors { field code message } } }"
)
GRANT = (
    "mutation($i: GrantCreateInput!) { grantCreate(input: $i) {"
    " grant { id } userErrors { field code message } } }"
)
UPDATE = (
    "mutation($i: DatasetUpdateInput!) { datasetUpdate(input: $i) {"
    " dataset { title } userErrors { code } } }"
)
datasets = models.Dataset.__table__


@pytest.fixture
async def world(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[World]:
    async for w in committed_world(engine, signing_keys):
        yield w


def _input(world: World, title: str = "Keyed survey") -> dict[str, Any]:
    return {"i": {"coalition": world.a["code"], "title": title}}


async def _count(world: World) -> int:
    found = await world.scalar(
        sa.select(sa.func.count()).where(datasets.c.coalition_id == world.a["id"])
    )
    return int(found)


class TestIdempotencyKey:
    async def test_a_retry_returns_the_first_result_and_writes_nothing(self, world: World) -> None:
        key = {"Idempotency-Key": "create-1"}
        # when the same create is sent twice with one key
        first = await world.post(CREATE, _input(world), "editor", key)
        again = await world.post(CREATE, _input(world), "editor", key)
        # then the second answer is the first one, replayed, and one dataset exists
        assert first.status_code == again.status_code == 200
        assert first.json()["data"]["datasetCreate"]["userErrors"] == []
        assert again.json()["data"] == first.json()["data"]
        assert again.headers.get("idempotent-replayed") == "true"
        assert "idempotent-replayed" not in first.headers
        assert await _count(world) == 1
        audit = models.AuditEvent.__table__
        creates = await world.scalar(
            sa.select(sa.func.count()).where(
                audit.c.coalition_id == world.a["id"], audit.c.action == "dataset.create"
            )
        )
        assert creates == 1

    async def test_the_same_key_for_another_request_is_refused(self, world: World) -> None:
        key = {"Idempotency-Key": "create-2"}
        await world.post(CREATE, _input(world), "editor", key)
        other = await world.post(CREATE, _input(world, "Another survey"), "editor", key)
        assert other.status_code == 422
        errors = other.json()["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["IDEMPOTENCY_KEY_REUSED"]
        assert "different request" in errors[0]["message"]
        assert await _count(world) == 1

    async def test_concurrent_retries_write_once(self, world: World) -> None:
        key = {"Idempotency-Key": "create-3"}
        answers = await asyncio.gather(
            *(world.post(CREATE, _input(world), "editor", key) for _ in range(20))
        )
        # (extensions, e.g. the query cost and throttle status, are per request)
        bodies = [{k: v for k, v in a.json().items() if k != "extensions"} for a in answers]
        assert {a.status_code for a in answers} == {200}
        assert all(b == bodies[0] for b in bodies), bodies
        assert bodies[0]["data"]["datasetCreate"]["userErrors"] == []
        assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 19
        assert await _count(world) == 1

    async def test_keys_belong_to_one_principal(self, world: World) -> None:
        key = {"Idempotency-Key": "shared-key"}
        mine = await world.post(CREATE, _input(world), "editor", key)
        theirs = await world.post(CREATE, _input(world), "admin", key)
        ids = {r.json()["data"]["datasetCreate"]["dataset"]["id"] for r in (mine, theirs)}
        assert len(ids) == 2
        assert await _count(world) == 2

    async def test_an_expired_key_can_be_used_again(self, world: World) -> None:
        key = {"Idempotency-Key": "create-4"}
        await world.post(CREATE, _input(world), "editor", key)
        async with world.engine.begin() as conn:
            keys = models.IdempotencyKey.__table__
            await conn.execute(
                sa.update(keys)
                .where(keys.c.key == "create-4")
                .values(expires_at=sa.func.now() - sa.text("interval '1 second'"))
            )
        again = await world.post(CREATE, _input(world), "editor", key)
        assert "idempotent-replayed" not in again.headers
        assert again.json()["data"]["datasetCreate"]["userErrors"] == []
        assert await _count(world) == 2

    async def test_a_retried_grant_is_not_a_duplicate(self, world: World) -> None:
        variables = {"i": {"coalition": world.a["code"], "organisation": world.orgs[2]["slug"]}}
        key = {"Idempotency-Key": "grant-1"}
        first = await world.post(GRANT, variables, "admin", key)
        again = await world.post(GRANT, variables, "admin", key)
        assert again.json()["data"] == first.json()["data"]
        assert first.json()["data"]["grantCreate"]["userErrors"] == []
        without_key = await world.post(GRANT, variables, "admin")
        codes = [e["code"] for e in without_key.json()["data"]["grantCreate"]["userErrors"]]
        assert codes == ["NOT_UNIQUE"]

    async def test_a_bad_key_is_a_clear_error(self, world: World) -> None:
        answer = await world.post(CREATE, _input(world), "editor", {"Idempotency-Key": "k" * 300})
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert await _count(world) == 0

    async def test_updates_ignore_the_header(self, world: World) -> None:
        ds = await world.dataset(world.a, status="DRAFT")
        key = {"Idempotency-Key": "update-1"}
        for n in (1, 2):
            variables = {"i": {"id": ds["gid"], "rowVersion": n, "title": f"Edit {n}"}}
            body = (await world.post(UPDATE, variables, "editor", key)).json()
            assert body["data"]["datasetUpdate"]["dataset"]["title"] == f"Edit {n}"

    async def test_a_refused_request_keeps_no_key(self, world: World) -> None:
        key = {"Idempotency-Key": "refused-1"}
        refused = await world.post(CREATE, _input(world), "agency", key)
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        keys = models.IdempotencyKey.__table__
        assert await world.scalar(sa.select(sa.func.count()).where(keys.c.key == "refused-1")) == 0
