"""The side-by-side's query pairs (bench/workloads.py) and the views PostGraphile reads
(bench/peer/schema.py), without Node: every API query runs and returns rows; the peer views,
read as the peer role, hold exactly the rows (and suppressed values) the anonymous API returns,
shaped as PostGraphile's answers and reduced by the same ``rows_peer`` the benchmark uses; the
agency's views (``peer_agency``) hold what the agency's token reads, a granted dataset the
anonymous views lack included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from bench.peer import schema
from bench.workloads import MAX_PAGE_SIZE, WORKLOADS
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

import graphql
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal
from lnob_api.auth.resolver import principal_from_token
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase, RequestDb

BY_NAME = {w.name: w for w in WORKLOADS}


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test", issuer="http://testserver", max_page_size=MAX_PAGE_SIZE)


@pytest.fixture
async def raw(conn: AsyncConnection) -> AsyncIterator[asyncpg.Connection]:
    """The test's connection (inside its rolled-back transaction) with a small benchmark
    data set: public datasets in two coalitions, a COALITION-only and a draft one, and
    observations of which some are small cells; then the projects and the peer views."""
    await conn.execute(sa.text("SELECT 1"))  # opens the outer transaction on the driver
    fairy = await conn.get_raw_connection()
    db: asyncpg.Connection = fairy.driver_connection  # type: ignore[assignment]
    assert db.is_in_transaction()  # so everything below is rolled back after the test
    await db.execute(
        """
        INSERT INTO datasets (coalition_id, slug, title, status, visibility, published_at)
        SELECT c.id, 'bench-' || lower(c.code) || '-' || i, 'Survey ' || c.code || ' ' || i,
               'PUBLISHED', 'PUBLIC', now() - interval '1 day'
        FROM coalitions c CROSS JOIN generate_series(0, 2) AS i WHERE c.code IN ('KE', 'NP');
        INSERT INTO datasets (coalition_id, slug, title, status, visibility, published_at)
        SELECT c.id, 'bench-hidden-' || k.kind || '-ke', 'Hidden ' || k.kind, k.status,
               k.visibility, CASE WHEN k.status = 'PUBLISHED' THEN now() END
        FROM coalitions c CROSS JOIN (VALUES ('coalition', 'PUBLISHED', 'COALITION'),
                                             ('draft', 'DRAFT', 'PUBLIC')) AS k(kind, status, visibility)
        WHERE c.code = 'KE';
        INSERT INTO dataset_indicators (dataset_id, indicator_id)
        SELECT d.id, i.id FROM datasets d CROSS JOIN indicators i
        WHERE d.slug LIKE 'bench-%' AND i.code IN ('1.1.1', '4.1.1');
        INSERT INTO observations (dataset_id, indicator_id, area_code, period, period_start,
                                  period_end, value, unit, sample_size, sex, age)
        SELECT d.id, i.id, c.code, (2015 + y)::text, make_date(2015 + y, 1, 1),
               make_date(2015 + y, 12, 31), 10 + y + d.id % 7, 'PERCENT',
               CASE WHEN y % 3 = 0 THEN 2 ELSE 200 END, '_T', '_T'
        FROM datasets d JOIN coalitions c ON c.id = d.coalition_id
        CROSS JOIN indicators i CROSS JOIN generate_series(0, 5) AS y
        WHERE d.slug LIKE 'bench-%' AND i.code IN ('1.1.1', '4.1.1');
        """
    )
    assert await schema.add_projects(db) == 70
    await schema.install(db)
    yield db


async def _api(client: httpx.AsyncClient, query: str, variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    return body


async def _as_peer(
    db: asyncpg.Connection, sql: str, *args: Any, role: str = schema.ROLE
) -> list[asyncpg.Record]:
    await db.execute(f"SET LOCAL ROLE {role}")
    try:
        return await db.fetch(sql, *args)
    finally:
        await db.execute("RESET ROLE")


async def test_the_peer_role_reads_the_views_only(raw: asyncpg.Connection) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with raw.transaction():  # a savepoint: its rollback also ends the role
            await raw.execute(f"SET LOCAL ROLE {schema.ROLE}")
            await raw.fetch("SELECT 1 FROM public.datasets")
    slugs = {r["slug"] for r in await _as_peer(raw, "SELECT slug FROM peer.datasets")}
    assert {"bench-ke-0", "bench-np-2"} <= slugs
    assert not {s for s in slugs if s.startswith("bench-hidden-")}
    withheld = await _as_peer(
        raw, "SELECT value, suppressed FROM peer.observations WHERE sample_size IS NULL"
    )
    assert withheld
    assert all(r["value"] is None and r["suppressed"] for r in withheld)


async def test_every_query_pair_is_valid_and_the_api_returns_rows(
    client: httpx.AsyncClient, raw: asyncpg.Connection
) -> None:
    for w in WORKLOADS:
        graphql.parse(w.peer)  # PostGraphile's side: well-formed (its schema is Node's)
        variants = await w.variants(raw)
        assert variants, w.name
        for api_vars, _ in variants[:3]:
            assert w.rows_api(await _api(client, w.api, api_vars)), (w.name, api_vars)


async def _w2_peer_body(
    db: asyncpg.Connection,
    code: str,
    first: int,
    views: str = schema.SCHEMA,
    role: str = schema.ROLE,
) -> dict[str, Any]:
    rows = await _as_peer(
        db,
        f"""SELECT o.value, o.area_code, o.period, o.sex, o.age, d.slug
           FROM {views}.observations o JOIN {views}.indicators i ON i.id = o.indicator_id
           JOIN {views}.datasets d ON d.id = o.dataset_id
           WHERE i.code = $1 ORDER BY o.id LIMIT $2""",
        code,
        first,
        role=role,
    )
    nodes = [
        {
            "value": r["value"],
            "areaCode": r["area_code"],
            "period": r["period"],
            "sex": r["sex"],
            "age": r["age"],
            "dataset": {"slug": r["slug"]},
        }
        for r in rows
    ]
    return {"data": {"indicatorByCode": {"observations": {"nodes": nodes}}}}


async def test_w2_and_w3_same_rows_through_the_peer_views(
    client: httpx.AsyncClient, raw: asyncpg.Connection
) -> None:
    for name, first in (("W2", 100), ("W2b", 500)):
        w = BY_NAME[name]
        for api_vars, peer_vars in await w.variants(raw):
            mine = w.rows_api(await _api(client, w.api, api_vars))
            theirs = w.rows_peer(await _w2_peer_body(raw, peer_vars["i"], first))
            assert mine == theirs
            assert any(row[0] is None for row in mine)  # suppressed cells are compared too
    w = BY_NAME["W3"]
    for api_vars, peer_vars in await w.variants(raw):
        row = await _as_peer(
            raw,
            "SELECT d.title, c.name FROM peer.datasets d"
            " JOIN peer.coalitions c ON c.id = d.coalition_id WHERE d.id = $1",
            int(peer_vars["id"]),
        )
        peer = {
            "data": {"dataset": {"title": row[0]["title"], "coalition": {"name": row[0]["name"]}}}
        }
        assert w.rows_api(await _api(client, w.api, api_vars)) == w.rows_peer(peer)


async def test_w1_same_rows_through_the_peer_views(
    client: httpx.AsyncClient, raw: asyncpg.Connection
) -> None:
    w = BY_NAME["W1"]
    for api_vars, peer_vars in await w.variants(raw):
        projects = await _as_peer(
            raw,
            """SELECT p.id, p.title FROM peer.projects p
               JOIN peer.coalitions c ON c.id = p.coalition_id
               WHERE c.code = $1 ORDER BY p.id LIMIT 10""",
            peer_vars["c"],
        )
        nodes = []
        for p in projects:
            datasets = await _as_peer(
                raw,
                "SELECT id, slug FROM peer.datasets WHERE project_id = $1 ORDER BY id LIMIT 10",
                p["id"],
            )
            shaped = []
            for d in datasets:
                links = await _as_peer(
                    raw,
                    "SELECT i.code, i.title FROM peer.dataset_indicators l"
                    " JOIN peer.indicators i ON i.id = l.indicator_id WHERE l.dataset_id = $1",
                    d["id"],
                )
                shaped.append(
                    {
                        "slug": d["slug"],
                        "datasetIndicators": {"nodes": [{"indicator": dict(r)} for r in links]},
                    }
                )
            nodes.append({"title": p["title"], "datasets": {"nodes": shaped}})
        peer = {"data": {"coalitionByCode": {"projects": {"nodes": nodes}}}}
        assert w.rows_api(await _api(client, w.api, api_vars)) == w.rows_peer(peer)


async def _agency(
    conn: AsyncConnection, raw: asyncpg.Connection, keys: KeyStore, settings: Settings
) -> tuple[str, Principal]:
    """A statistics agency's client granted the KE coalition-only dataset; its token, and the
    principal the API builds from that token (as ``bench.peer.run`` builds it)."""
    org = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    client = await f.create_client(conn, org, scopes=["data:read"])
    hidden = await raw.fetchrow(
        "SELECT id, coalition_id FROM datasets WHERE slug = 'bench-hidden-coalition-ke'"
    )
    await f.create_grant(
        conn, {"id": hidden["coalition_id"]}, dataset_id=hidden["id"], client_id=client["id"]
    )
    token = token_for(keys, client=client)
    db = RequestDb(ConnectionDatabase(conn))
    try:
        principal = await principal_from_token(db, token, keys=keys, settings=settings, oidc=None)
    finally:
        await db.close()
    return token, principal


async def test_the_agency_views_hold_what_the_agency_token_reads(
    conn: AsyncConnection,
    client: httpx.AsyncClient,
    raw: asyncpg.Connection,
    signing_keys: KeyStore,
    settings: Settings,
) -> None:
    token, agency = await _agency(conn, raw, signing_keys, settings)
    assert agency.client_pk is not None
    await schema.install(raw, agency, schema.AGENCY_SCHEMA, schema.AGENCY_ROLE)
    role = schema.AGENCY_ROLE

    # The agency's role reads its own views only, and they hold its grant.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with raw.transaction():
            await raw.execute(f"SET LOCAL ROLE {role}")
            await raw.fetch(f"SELECT 1 FROM {schema.SCHEMA}.datasets")
    mine = {
        r["slug"] for r in await _as_peer(raw, "SELECT slug FROM peer_agency.datasets", role=role)
    }
    anonymous = {r["slug"] for r in await _as_peer(raw, "SELECT slug FROM peer.datasets")}
    assert mine == anonymous | {"bench-hidden-coalition-ke"}
    assert "bench-hidden-draft-ke" not in mine

    # W2 with the token: the API's rows are the agency views' rows, the granted ones included.
    w = BY_NAME["W2"]
    for api_vars, peer_vars in await w.variants(raw):
        response = await client.post(
            "/graphql", json={"query": w.api, "variables": api_vars}, headers=bearer(token)
        )
        body = response.json()
        assert "errors" not in body, body
        api_rows = w.rows_api(body)
        peer_body = await _w2_peer_body(
            raw, peer_vars["i"], 100, schema.AGENCY_SCHEMA, schema.AGENCY_ROLE
        )
        assert api_rows == w.rows_peer(peer_body)
        assert "bench-hidden-coalition-ke" in {row[5] for row in api_rows}
        anonymous_rows = w.rows_peer(await _w2_peer_body(raw, peer_vars["i"], 100))
        assert len(anonymous_rows) < len(api_rows)
