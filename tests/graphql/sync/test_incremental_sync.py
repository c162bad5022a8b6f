"""Incremental sync: a mirror built from updatedSince pulls and tombstones equals a full pull."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore

OBS = """query($since: DateTime, $after: String) { observations(filter: {updatedSince: $since}, first: 100, after: $after) {
  edges { node { id value suppressed } } pageInfo { hasNextPage endCursor } } }"""
REMOVED = """query($since: DateTime!, $after: String) { removedObservations(since: $since, first: 100, after: $after) {
  edges { node { id datasetId removedAt } } pageInfo { hasNextPage endCursor } } }"""
DATASETS = """query($since: DateTime, $after: String) { datasets(filter: {updatedSince: $since}, first: 100, after: $after) {
  edges { node { id title status } } pageInfo { hasNextPage endCursor } } }"""
REMOVED_DATASETS = """query($since: DateTime!, $after: String) { removedDatasets(since: $since, first: 100, after: $after) {
  edges { node { id reason listed } } pageInfo { hasNextPage endCursor } } }"""
RETRACT = """mutation($input: DatasetRetractInput!) { datasetRetract(input: $input) { userErrors { code } } }"""
VISIBILITY = """mutation($input: DatasetSetVisibilityInput!) { datasetSetVisibility(input: $input) { userErrors { code } } }"""


def _gid(kind: str, pk: int) -> str:
    import base64

    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


class Caller:
    def __init__(self, client: httpx.AsyncClient, token: str | None) -> None:
        self.client, self.headers = client, (bearer(token) if token else {})

    async def all_pages(self, query: str, field: str, **variables: Any) -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            response = await self.client.post(
                "/graphql",
                json={"query": query, "variables": variables | {"after": after}},
                headers=self.headers,
            )
            body = response.json()
            assert "errors" not in body, body
            conn = body["data"][field]
            nodes += [e["node"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                return nodes
            after = conn["pageInfo"]["endCursor"]

    async def mirror_observations(self) -> dict[str, tuple[Any, bool]]:
        return {
            n["id"]: (n["value"], n["suppressed"])
            for n in await self.all_pages(OBS, "observations", since=None)
        }

    async def mirror_datasets(self) -> dict[str, tuple[str, str]]:
        return {
            n["id"]: (n["title"], n["status"])
            for n in await self.all_pages(DATASETS, "datasets", since=None)
        }

    async def sync(
        self, mirror: dict[str, Any], since: datetime, *, datasets: bool = False
    ) -> None:
        stamp = since.isoformat()
        if datasets:
            for n in await self.all_pages(DATASETS, "datasets", since=stamp):
                mirror[n["id"]] = (n["title"], n["status"])
            for n in await self.all_pages(REMOVED_DATASETS, "removedDatasets", since=stamp):
                if not n["listed"]:  # a listed one lost its data only: its record stays
                    mirror.pop(n["id"], None)
            return
        for n in await self.all_pages(OBS, "observations", since=stamp):
            mirror[n["id"]] = (n["value"], n["suppressed"])
        for n in await self.all_pages(REMOVED, "removedObservations", since=stamp):
            mirror.pop(n["id"], None)


async def _world(conn: AsyncConnection, keys: KeyStore) -> dict[str, Any]:
    coalition = await f.create_coalition(conn)
    org = await f.create_organisation(conn)
    frontend = await f.create_client(conn, org)
    admin = await f.create_user(conn)
    await f.give_role(conn, admin, coalition, "ADMIN")
    agency = await f.create_client(
        conn, await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    )
    grant = await f.create_grant(conn, coalition, client_id=agency["id"])
    w: dict[str, Any] = {"coalition": coalition, "grant": grant, "agency": agency}
    for name, visibility in [
        ("retracted", "PUBLIC"),
        ("kept", "PUBLIC"),
        ("private", "COALITION"),
        ("narrowed", "PUBLIC"),
    ]:
        ds = await f.create_dataset(conn, coalition, visibility=visibility, title=f"Sync {name}")
        for year in (2019, 2020):
            await f.create_observation(
                conn, ds, period=str(year), sample_size=3 if year == 2019 and name == "kept" else 50
            )
        w[name] = ds
    w["tokens"] = {
        "admin": token_for(
            keys, client=frontend, user=admin, scopes=("data:read", "data:write", "coalition:admin")
        ),
        "agency": token_for(keys, client=agency),
        "anonymous": None,
    }
    return w


async def _now(conn: AsyncConnection) -> datetime:
    await asyncio.sleep(0.01)
    stamp = datetime.now(UTC)
    await asyncio.sleep(0.01)
    return stamp


async def _changes(client: httpx.AsyncClient, conn: AsyncConnection, w: dict[str, Any]) -> None:
    admin = Caller(client, w["tokens"]["admin"])
    # an insert and an update in a dataset that stays
    await f.create_observation(conn, w["kept"], period="2021", updated_at=datetime.now(UTC))
    await conn.execute(
        sa.update(models.Observation.__table__)
        .where(
            models.Observation.dataset_id == w["kept"]["id"], models.Observation.period == "2020"
        )
        .values(value=99.5, updated_at=sa.func.clock_timestamp())
    )
    # a retraction, a narrowed visibility, and a revoked grant
    for mutation, variables in [
        (
            RETRACT,
            {
                "id": _gid("Dataset", w["retracted"]["id"]),
                "rowVersion": 1,
                "reason": "Errors found in the tally",
            },
        ),
        (
            VISIBILITY,
            {
                "id": _gid("Dataset", w["narrowed"]["id"]),
                "rowVersion": 1,
                "visibility": "COALITION",
            },
        ),
    ]:
        body = (
            await client.post(
                "/graphql",
                json={"query": mutation, "variables": {"input": variables}},
                headers=admin.headers,
            )
        ).json()
        assert "errors" not in body, body
    # the grant is revoked the way an operator does it (lnob-api grants revoke)
    from lnob_api.grant.service import revoke_grant

    await revoke_grant(conn, w["grant"]["id"])


@pytest.mark.parametrize("who", ["anonymous", "agency", "admin"])
async def test_observation_mirror_equals_full_pull(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore, who: str
) -> None:
    # given a mirror built by a full pull
    w = await _world(conn, signing_keys)
    caller = Caller(client, w["tokens"][who])
    mirror = await caller.mirror_observations()
    since = await _now(conn)
    # when inserts, updates, a retraction, a narrowed visibility and a revoked grant happen
    await _changes(client, conn, w)
    await caller.sync(mirror, since)
    # then the synced mirror equals a fresh full pull
    assert mirror == await caller.mirror_observations()


async def test_each_caller_sees_the_expected_removals(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    w = await _world(conn, signing_keys)
    since = await _now(conn)
    await _changes(client, conn, w)
    removed = {}
    for who in ("anonymous", "agency", "admin"):
        nodes = await Caller(client, w["tokens"][who]).all_pages(
            REMOVED, "removedObservations", since=since.isoformat()
        )
        removed[who] = {n["datasetId"] for n in nodes}
    ds = {
        name: _gid("Dataset", w[name]["id"])
        for name in ("retracted", "kept", "private", "narrowed")
    }
    assert removed["anonymous"] == {
        ds["retracted"],
        ds["narrowed"],
    }  # never saw "private": no tombstone
    assert removed["agency"] == {ds["retracted"], ds["narrowed"], ds["private"]}
    assert removed["admin"] == {ds["retracted"]}


@pytest.mark.parametrize("who", ["anonymous", "agency"])
async def test_dataset_mirror_equals_full_pull(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore, who: str
) -> None:
    w = await _world(conn, signing_keys)
    caller = Caller(client, w["tokens"][who])
    mirror = await caller.mirror_datasets()
    since = await _now(conn)
    await _changes(client, conn, w)
    await caller.sync(mirror, since, datasets=True)
    assert mirror == await caller.mirror_datasets()
