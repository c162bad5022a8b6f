"""An outage met by the fast lane's statement (``graphql.fastlane``): the same 503 as the whole
stack's, with its log line, and the lane answering again once PostgreSQL is back."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.cluster import Cluster
from tests.graphql.test_fast_lane import comparable, lane_of, lane_off
from tests.helpers import bearer
from tests.http.test_outage import SETTINGS, _eventually_ok, cluster, engine, world  # noqa: F401

from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.db.request import EngineDatabase

DATASETS = {"query": "{ datasets(first: 5) { nodes { slug title } } }"}


async def test_an_outage_answers_503_as_the_whole_stack(
    cluster: Cluster,  # noqa: F811 (tests/http/test_outage.py's fixtures)
    world: dict[str, Any],  # noqa: F811
    engine: AsyncEngine,  # noqa: F811
    signing_keys: KeyStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given the lane answering an anonymous and a signed-in read
    app = create_app(
        dataclasses.replace(SETTINGS, compiled=True),
        database=EngineDatabase(engine),
        keys=signing_keys,
    )
    lane = lane_of(app)
    callers = ({}, bearer(world["token"]))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for headers in callers:
            for _ in range(3):
                ok = await client.post("/graphql", json=DATASETS, headers=headers)
                assert ok.status_code == 200, ok.text
        assert lane.served == 4  # each caller's first request recorded, the next two served
        # when PostgreSQL goes away
        cluster.stop()
        try:
            caplog.clear()
            with caplog.at_level(logging.INFO):
                ours = [await client.post("/graphql", json=DATASETS, headers=h) for h in callers]
                with lane_off():
                    full = [
                        await client.post("/graphql", json=DATASETS, headers=h) for h in callers
                    ]
        finally:
            cluster.start()
        # then the lane's statement met it (a pooled connection that died under it may leave
        # the first request to the whole stack, as the compiled path leaves it to Strawberry),
        # and answered what the whole stack answers
        assert lane.served >= 5
        for one, two in zip(ours, full, strict=True):
            assert one.status_code == 503, one.text
            assert one.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert comparable(one) == comparable(two)
        lines = [r for r in caplog.records if r.name == "lnob_api.outage"]
        assert len(lines) == 4
        # and once it is back, the lane answers again
        for headers in callers:
            again = await _eventually_ok(
                client, "POST", "/graphql", {"json": DATASETS, "headers": headers}
            )
            for _ in range(20):  # a loaded machine: the pool reconnects slowly
                if again.status_code == 200:
                    break
                await asyncio.sleep(0.5)
                again = await client.post("/graphql", json=DATASETS, headers=headers)
            assert again.status_code == 200, again.text
        served = lane.served
        assert (await client.post("/graphql", json=DATASETS)).status_code == 200
        assert lane.served == served + 1
