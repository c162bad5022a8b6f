"""The one-statement floor (bench/floor_app.py) on a tiny data set, in-process: the capture
through the app finds exactly one statement per variant and principal (the agency's with its
bearer check folded in, as under load), and the floor, sent the very bodies the load sends,
answers the rows the API answers; ``--floor`` is off unless asked for."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from bench.peer import run, schema
from bench.workloads import MAX_PAGE_SIZE, WORKLOADS
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from bench import floor_app
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase

DATA = """
INSERT INTO datasets (coalition_id, slug, title, status, visibility, published_at)
SELECT c.id, 'bench-' || lower(c.code) || '-' || i, 'Survey ' || c.code || ' ' || i,
       'PUBLISHED', 'PUBLIC', now() - interval '1 day'
FROM coalitions c CROSS JOIN generate_series(0, 1) AS i WHERE c.code IN ('KE', 'NP');
INSERT INTO dataset_indicators (dataset_id, indicator_id)
SELECT d.id, i.id FROM datasets d CROSS JOIN indicators i
WHERE d.slug LIKE 'bench-%' AND i.code IN ('1.1.1', '4.1.1');
INSERT INTO observations (dataset_id, indicator_id, area_code, period, period_start,
                          period_end, value, unit, sample_size, sex, age)
SELECT d.id, i.id, c.code, (2015 + y)::text, make_date(2015 + y, 1, 1),
       make_date(2015 + y, 12, 31), 10 + y + d.id % 7, 'PERCENT',
       CASE WHEN y % 3 = 0 THEN 2 ELSE 200 END, '_T', '_T'
FROM datasets d JOIN coalitions c ON c.id = d.coalition_id
CROSS JOIN indicators i CROSS JOIN generate_series(0, 3) AS y
WHERE d.slug LIKE 'bench-%' AND i.code IN ('1.1.1', '4.1.1');
"""


@pytest.fixture
async def raw(conn: AsyncConnection) -> AsyncIterator[asyncpg.Connection]:
    """The test's driver connection (inside its rolled-back transaction) with public datasets
    in two coalitions, some small cells among their observations, and the benchmark projects."""
    await conn.execute(sa.text("SELECT 1"))  # opens the outer transaction on the driver
    fairy = await conn.get_raw_connection()
    db: asyncpg.Connection = fairy.driver_connection  # type: ignore[assignment]
    assert db.is_in_transaction()
    await db.execute(DATA)
    assert await schema.add_projects(db) == 70
    yield db


def test_the_floor_is_off_unless_asked_for() -> None:
    assert run.parser().parse_args([]).floor is False
    assert run.parser().parse_args(["--floor", "--workloads", "W3"]).floor is True


async def _requests(conn: AsyncConnection, raw: asyncpg.Connection, keys: KeyStore) -> Any:
    org = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    client = await f.create_client(conn, org, scopes=["data:read"])
    who = {"anonymous": {}, "agency": bearer(token_for(keys, client=client))}
    return [
        (w.name, p, headers, floor_app.request_body(w.api, v[0]))
        for p, headers in who.items()
        for w in WORKLOADS
        for v in (await w.variants(raw))[:2]
    ]


async def test_one_statement_per_variant_and_the_floor_answers_the_apis_rows(
    conn: AsyncConnection, raw: asyncpg.Connection, signing_keys: KeyStore
) -> None:
    # given: the app as the benchmark runs it (compiled path, no response cache)
    settings = Settings(
        env="test",
        issuer="http://testserver",
        max_page_size=MAX_PAGE_SIZE,
        compiled=True,
        response_cache_mb=0,
        rate_limit=0,
    )
    app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
    requests = await _requests(conn, raw, signing_keys)
    assert len(requests) == 2 * 2 * len(WORKLOADS)

    # when
    entries = await floor_app.capture_app(app, conn.sync_engine, requests)

    # then: one statement each, the agency's carrying its token's facts
    assert [(e.workload, e.principal, e.body) for e in entries] == [
        (name, p, body) for name, p, _, body in requests
    ]
    for e in entries:
        folded = e.sql.startswith("SELECT q.*, f.* FROM (")
        assert folded == (e.principal == "agency"), (e.workload, e.principal, e.sql[:80])
        assert bool(e.authorization) == (e.principal == "agency")

    # and the floor, given the captured statements, answers each request with the API's rows
    floor = floor_app.build_app(entries, floor_app.Pool(None, opened=[raw]))
    by_name = {w.name: w for w in WORKLOADS}
    api_side = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")
    floor_side = httpx.AsyncClient(transport=httpx.ASGITransport(app=floor), base_url="http://f")
    async with api_side, floor_side:
        for name, _, headers, body in requests:
            sent = {"Content-Type": "application/json", **headers}
            mine = await api_side.post("/graphql", content=body, headers=sent)
            theirs = await floor_side.post("/graphql", content=body, headers=sent)
            assert theirs.status_code == 200, theirs.text
            rows = by_name[name].rows_api(theirs.json())
            assert rows == by_name[name].rows_api(mine.json())
            assert rows, name

        # the same request spelled differently is found by its parsed JSON
        name, _, headers, body = requests[-1]
        spaced = json.dumps(json.loads(body), indent=2)
        assert spaced != body
        again = await floor_side.post("/graphql", content=spaced, headers=headers)
        assert by_name[name].rows_api(again.json()) == by_name[name].rows_api(theirs.json())

        # a token it was not given, or a request it does not know, has no answer; the probe has
        anonymous_body = requests[0][3]
        stranger = await floor_side.post(
            "/graphql", content=anonymous_body, headers={"Authorization": "Bearer other"}
        )
        assert stranger.status_code == 400
        unknown = await floor_side.post("/graphql", json={"query": "{ coalitions { code } }"})
        assert unknown.status_code == 400
        probe = await floor_side.post("/graphql", json={"query": "{ __typename }"})
        assert probe.json() == {"data": {"__typename": "Query"}}


async def test_the_pool_keeps_a_busy_connection_and_closes_an_idle_one() -> None:
    dsn = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    pool = floor_app.Pool(dsn, size=2, idle=0.3)
    try:
        first = await pool.acquire()
        assert await first.fetchval("SHOW plan_cache_mode") == "force_generic_plan"
        pool.release(first)
        assert await pool.acquire() is first  # kept, handed out again
        pool.release(first)
        await asyncio.sleep(0.8)
        assert first.is_closed()  # unused for longer than ``idle``
        second = await pool.acquire()
        assert second is not first and not second.is_closed()
        pool.release(second)
    finally:
        await pool.close()
