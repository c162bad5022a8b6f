"""Outages, stalls and time bounds against a PostgreSQL that the test stops, freezes and
restarts itself (tests/cluster.py); the app runs on a real engine, or as a real uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests import factories as f
from tests.cluster import Cluster
from tests.helpers import bearer, token_for

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings
from lnob_api.db import migrate
from lnob_api.db.engine import Timeouts, create_engine
from lnob_api.db.request import EngineDatabase

DATASETS = "{ datasets(first: 5) { nodes { slug } } }"
CREATE = (
    "mutation($input: DatasetCreateInput!) "
    "{ datasetCreate(input: $input) { dataset { slug } userErrors { code } } }"
)
SETTINGS = Settings(
    env="test",
    issuer="http://testserver",
    statement_timeout=1,
    db_command_timeout=3,
    db_connect_timeout=1,
    db_pool_timeout=1,
    request_timeout=2.5,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    server = Cluster()
    server.start()
    server.psql("CREATE DATABASE lnob")
    migrate.upgrade(server.url("lnob"))
    yield server
    server.remove()


@pytest.fixture(scope="module")
async def world(cluster: Cluster, signing_keys: KeyStore) -> dict[str, Any]:
    """Reference data, a coalition with a public dataset of 3 rows, a client and an editor."""
    from lnob_api.seed import seed

    engine = create_engine(cluster.url("lnob"), pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
        coalition = await f.create_coalition(conn, code="ZW")
        org = await f.create_organisation(conn)
        await f.add_member(conn, coalition, org)
        client = await f.create_client(conn, org)
        user = await f.create_user(conn)
        await f.give_role(conn, user, coalition, "EDITOR")
        dataset = await f.create_dataset(conn, coalition)
        for area in ("ZW", "KE", "UG"):
            await f.create_observation(conn, dataset, area_code=area)
    await engine.dispose()
    token = token_for(signing_keys, client=client, user=user, scopes=("data:read", "data:write"))
    return {"client": client, "token": token}


@pytest.fixture
async def engine(cluster: Cluster) -> AsyncIterator[AsyncEngine]:
    eng = create_engine(cluster.url("lnob"), pool_size=4, timeouts=Timeouts.of(SETTINGS))
    yield eng
    await eng.dispose()


@pytest.fixture
async def api(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SETTINGS, database=EngineDatabase(engine), keys=signing_keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def _requests(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every kind of route, anonymous and with a token."""
    auth = bearer(world["token"])
    client = world["client"]
    token_form = {"grant_type": "client_credentials"}
    basic = (client["client_id"], f"secret-{client['client_id']}")
    return [
        ("POST", "/graphql", {"json": {"query": DATASETS}}),
        ("POST", "/graphql", {"json": {"query": DATASETS}, "headers": auth}),
        ("GET", "/graphql?query={datasets(first:1){nodes{slug}}}", {"headers": auth}),
        ("GET", "/exports/observations.csv", {}),
        ("GET", "/exports/observations.csv.gz", {"headers": auth}),
        ("GET", "/sdmx/data/DF_LNOB_ZW", {}),
        ("GET", "/sdmx/data/DF_LNOB_ZW?format=csvdata", {"headers": auth}),
        ("GET", "/sdmx/dataflow", {}),
        ("GET", "/catalog.jsonld", {"headers": auth}),
        ("POST", "/oauth/token", {"data": token_form, "auth": basic}),
    ]


async def _call(api: httpx.AsyncClient, method: str, path: str, kw: dict[str, Any]) -> Any:
    return await api.request(method, path, **kw)


class TestOutage:
    async def test_every_route_answers_503_while_down_and_recovers(
        self,
        cluster: Cluster,
        world: dict[str, Any],
        api: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        # given a service that answers every route
        requests = _requests(world)
        for method, path, kw in requests:
            ok = await _call(api, method, path, kw)
            assert ok.status_code == 200, (path, ok.status_code, ok.text[:300])
        # when PostgreSQL goes away
        cluster.stop()
        try:
            caplog.clear()
            with caplog.at_level(logging.INFO):
                answers = [await _call(api, m, p, kw) for m, p, kw in requests]
                ready = await api.get("/readyz")
        finally:
            cluster.start()
        # then every route says so in JSON, with Retry-After, and logs one line per request
        for (_, path, _), answer in zip(requests, answers, strict=True):
            assert answer.status_code == 503, (path, answer.status_code, answer.text[:300])
            assert answer.headers["retry-after"] == "5"
            assert answer.headers["content-type"].startswith("application/json")
            body = answer.json()
            if path.startswith("/graphql"):
                assert "data" not in body
                assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
                assert body["errors"][0]["extensions"]["requestId"]
            else:
                assert body["error"] == "service_unavailable"
        assert ready.status_code == 503 and ready.headers["retry-after"] == "5"
        outage_lines = [r for r in caplog.records if r.name == "lnob_api.outage"]
        assert len(outage_lines) == len(requests) + 1
        assert not [r for r in caplog.records if r.exc_info], "no tracebacks during an outage"
        assert all("\n" not in r.getMessage() for r in caplog.records)
        # and once it is back, the service answers again without a restart
        for method, path, kw in requests:
            again = await _eventually_ok(api, method, path, kw)
            assert again.status_code == 200, (path, again.text[:300])

    async def test_first_request_after_an_idle_restart_succeeds(
        self, cluster: Cluster, world: dict[str, Any], api: httpx.AsyncClient
    ) -> None:
        # given pooled connections from earlier requests
        for _ in range(3):
            assert (await api.post("/graphql", json={"query": DATASETS})).status_code == 200
        # when PostgreSQL restarts while the service idles
        cluster.stop()
        cluster.start()
        await asyncio.sleep(0.5)  # the service idles: its event loop runs
        # then the very first authenticated request is served
        first = await api.post("/graphql", json={"query": DATASETS}, headers=bearer(world["token"]))
        assert first.status_code == 200, first.text
        assert "errors" not in first.json()

    async def test_acknowledged_writes_survive_an_outage(
        self, cluster: Cluster, world: dict[str, Any], api: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        # given a client writing continuously
        acked: list[str] = []
        refused = 0
        stop = asyncio.Event()

        async def writer() -> None:
            nonlocal refused
            n = 0
            while not stop.is_set():
                n += 1
                variables = {"input": {"coalition": "ZW", "title": f"Outage survey {n}"}}
                answer = await api.post(
                    "/graphql",
                    json={"query": CREATE, "variables": variables},
                    headers=bearer(world["token"]),
                )
                payload = answer.json()
                if answer.status_code == 200 and not payload.get("errors"):
                    assert payload["data"]["datasetCreate"]["userErrors"] == []
                    acked.append(payload["data"]["datasetCreate"]["dataset"]["slug"])
                else:
                    assert answer.status_code == 503, answer.text
                    refused += 1
                    await asyncio.sleep(0.05)

        task = asyncio.create_task(writer())
        await asyncio.sleep(0.5)
        # when PostgreSQL stops in the middle and comes back
        await asyncio.to_thread(cluster.stop)
        await asyncio.sleep(0.5)
        await asyncio.to_thread(cluster.start)
        await asyncio.sleep(1.5)
        stop.set()
        await task
        # then every acknowledged write is there, and writes were refused while it was down
        async with engine.connect() as conn:
            slugs = set(
                (
                    await conn.execute(
                        sa.text("SELECT slug FROM datasets WHERE slug = ANY(:s)"), {"s": acked}
                    )
                )
                .scalars()
                .all()
            )
        assert refused > 0
        assert len(acked) > 0
        assert slugs == set(acked)


async def _eventually_ok(
    api: httpx.AsyncClient, method: str, path: str, kw: dict[str, Any]
) -> httpx.Response:
    """The answer once it is 200, retrying for at most 5 s after PostgreSQL is back."""
    answer = await _call(api, method, path, kw)
    for _ in range(50):
        if answer.status_code == 200:
            break
        await asyncio.sleep(0.1)
        answer = await _call(api, method, path, kw)
    return answer
