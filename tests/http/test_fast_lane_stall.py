"""A frozen PostgreSQL (every process stopped: connections open, nothing answers) under the
fast lane's statement, which runs in the request's own task (``RequestDb.driver_row``): the
request deadline still answers 503 in time, though the statement's cancel request cannot reach
the server either, and the lane answers again once PostgreSQL runs."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import anyio
import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.cluster import Cluster
from tests.graphql.test_fast_lane import lane_of
from tests.http.test_outage import SETTINGS, cluster, engine, world  # noqa: F401

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.db.request import EngineDatabase

DATASETS = {"query": "{ datasets(first: 5) { nodes { slug title } } }"}


async def test_a_frozen_server_under_the_lane_is_bounded_by_the_deadline(
    cluster: Cluster,  # noqa: F811 (tests/http/test_outage.py's fixtures)
    world: dict[str, Any],  # noqa: F811
    engine: AsyncEngine,  # noqa: F811
    signing_keys: KeyStore,
) -> None:
    # given the lane answering a read (request deadline 2.5 s, command timeout 3 s, no
    # response cache: the read runs its statement)
    app = create_app(
        dataclasses.replace(SETTINGS, compiled=True, response_cache_mb=0),
        database=EngineDatabase(engine),
        keys=signing_keys,
    )
    lane = lane_of(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for _ in range(3):
            ok = await client.post("/graphql", json=DATASETS)
            assert ok.status_code == 200, ok.text
        expected = ok.json()
        served = lane.served
        assert served > 0
        # when every PostgreSQL process is stopped
        cluster.freeze()
        try:
            with anyio.fail_after(5):
                answer = await client.post("/graphql", json=DATASETS)
        finally:
            cluster.thaw()
        # then the lane had the request, and the deadline answered it in time
        assert lane.served == served + 1
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"
        assert answer.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
        # and once PostgreSQL runs again, the lane answers again
        again = await client.post("/graphql", json=DATASETS)
        for _ in range(50):  # a connection given up under the stall is opened again
            if again.status_code == 200:
                break
            await asyncio.sleep(0.2)
            again = await client.post("/graphql", json=DATASETS)
        assert again.status_code == 200, again.text
        assert again.json()["data"] == expected["data"]
        assert lane.served > served + 1
