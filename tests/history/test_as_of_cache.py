"""The response cache keys answers by the request's bytes, so an ``asOf`` read is cached like
any other; it must not outlive a later withdrawal (a consent withdrawn, a retraction), which
``asOf`` never undoes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.sync.mirror_world import World, stamp

from lnob_api.auth.keys import KeyStore
from lnob_api.cache.store import ResponseCache

VALUES = (10, 20, 30, 12, 18, 30)
OBSERVATIONS = """query($t: DateTime, $a: [String!]) {
  observations(asOf: $t, filter: {areas: $a}, first: 20) { nodes { value } } }"""


@pytest.fixture
def cache(app: Any) -> ResponseCache:
    graphql = app.state.graphql
    graphql.cache = ResponseCache(ttl=3600.0, next_change=graphql.next_change)
    return graphql.cache


async def _values(w: World, at: str) -> list[float]:
    data = await w.call(OBSERVATIONS, {"t": at, "a": [w.coalition["code"]]}, "anonymous")
    return [n["value"] for n in data["observations"]["nodes"]]


class TestCachedAsOf:
    async def test_a_consent_withdrawal_empties_a_cached_as_of_answer(
        self,
        conn: AsyncConnection,
        client: httpx.AsyncClient,
        signing_keys: KeyStore,
        cache: ResponseCache,
    ) -> None:
        # given: an answer as of an instant when the data was readable, cached
        w = await World(conn, client, signing_keys).build()
        ds = await w.dataset("Consented", visibility="PUBLIC", period="2022", values=VALUES)
        consent = await w.record_consent(ds)
        at = (await stamp()).isoformat()
        first = await _values(w, at)
        again = await _values(w, at)
        hits = cache.hits
        # when: the community withdraws its consent
        await w.withdraw_consent(consent)
        after = await _values(w, at)
        # then
        assert sorted(first) == sorted(float(v) for v in VALUES) and again == first
        assert hits >= 1
        assert after == []

    async def test_a_retraction_empties_a_cached_as_of_answer(
        self,
        conn: AsyncConnection,
        client: httpx.AsyncClient,
        signing_keys: KeyStore,
        cache: ResponseCache,
    ) -> None:
        # given
        w = await World(conn, client, signing_keys).build()
        ds = await w.dataset("Retracted", visibility="PUBLIC", period="2021", values=VALUES)
        at = (await stamp()).isoformat()
        first = await _values(w, at)
        await _values(w, at)
        hits = cache.hits
        # when
        await w.retract(ds)
        after = await _values(w, at)
        # then
        assert len(first) == len(VALUES) and hits >= 1
        assert after == []
