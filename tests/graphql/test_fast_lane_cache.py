"""The fast lane with the response cache on (issue 12, brief lane): a hit answered by the lane
is byte for byte the whole stack's hit; a miss read by the lane fills the cache as the whole
stack fills it; no remembered answer or hit outlives the permission that produced it; and the
lane's answers hold per plan, not until any plan is built."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.corpus import COMPILED, CORPUS
from tests.compiled.test_differential import world as leak_world
from tests.graphql.test_fast_lane import World, _app_world, _revoke_grant, lookup
from tests.graphql.test_fast_lane import lane_off as whole_stack
from tests.helpers import bearer

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.tokens import validate_access_token
from lnob_api.cache.store import ResponseCache
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase, RequestDb
from lnob_api.graphql.fastlane import FastLane
from lnob_api.graphql.persisted import digest

OTHER = "query($id: ID!) { dataset(id: $id) { slug } }"
# What differs between two answers of the same request: the budget refills with time (a hit
# writes its throttle status with json.dumps' spaces, cache.body).
_MOVING = re.compile(rb'"currentlyAvailable": ?\d+|"requestId": ?"[^"]*"')
_UNCOMPARED = {"x-request-id", "date"}


def comparable(response: httpx.Response) -> tuple[Any, ...]:
    """Status, body and headers (in order), but the request id and the budget's refill."""
    headers = [
        (k, re.sub(r";r=\d+;t=\d+", ";r=_;t=_", v) if k == "ratelimit" else v)
        for k, v in response.headers.multi_items()
        if k not in _UNCOMPARED
    ]
    return response.status_code, _MOVING.sub(b"", response.content), headers


def cache_on(app: Any, *, trusted: bool = False) -> ResponseCache:
    """The app's GraphQL endpoint with a response cache; ``trusted``: as with a listener whose
    lease runs (a remembered token's hit needs no statement), the world's rows all written."""
    graphql = app.state.graphql
    graphql.cache = cache = ResponseCache(ttl=3600.0, next_change=graphql.next_change)
    if trusted:
        cache.hearing()
        cache.leased_until(time.monotonic() + 3600)
    return cache


async def hit_served(w: World, body: Any, token: str | None = None, **headers: str) -> Any:
    """A request the lane answered from the cache (asked until it does; asserted)."""
    for _ in range(4):
        before = w.lane.served_hits
        response = await w.post(body, token, **headers)
        if w.lane.served_hits == before + 1:
            return response
    raise AssertionError("the lane never answered a hit")


def entry_of(cache: ResponseCache) -> tuple[Any, ...]:
    """The one entry the cache holds, all but its expiry (and the key's scope checked)."""
    assert len(cache) == 1
    ((key, entry),) = cache._entries.items()
    body = _MOVING.sub(b"", entry.body)
    return key, body, entry.status, entry.headers, entry.cost, entry.throttle


@pytest.fixture
async def w(conn: AsyncConnection, signing_keys: KeyStore) -> AsyncIterator[World]:
    made = await _app_world(conn, signing_keys)
    async with made.client:
        yield made


class TestHits:
    async def test_an_anonymous_hit_is_the_whole_stacks(self, w: World) -> None:
        cache = cache_on(w.app)
        for headers in (
            {},
            {"accept": "application/graphql-response+json"},
            {"accept-language": "fr"},
            {"accept-encoding": "gzip"},
        ):
            # given the read in the cache (the whole stack's miss, then its hit)
            await w.full(lookup(w.public), **headers)
            full = await w.full(lookup(w.public), **headers)
            hits = cache.hits
            # when the lane answers it
            served = await hit_served(w, lookup(w.public), **headers)
            # then the same bytes, from the same entry, and no statement read anything
            assert comparable(served) == comparable(full), headers
            assert cache.hits >= hits + 1
            assert json.loads(served.content)["data"]["dataset"]["title"] == "Open"

    async def test_a_remembered_tokens_hit_is_the_whole_stacks(self, w: World) -> None:
        cache = cache_on(w.app, trusted=True)
        await w.full(lookup(w.inside), w.granted)
        full = await w.full(lookup(w.inside), w.granted)
        served = await hit_served(w, lookup(w.inside), w.granted)
        assert comparable(served) == comparable(full)
        assert served.json()["data"]["dataset"]["title"] == "Inside"
        # and every later one is the lane's at once
        before = w.lane.served_hits
        again = await w.post(lookup(w.inside), w.granted)
        assert w.lane.served_hits == before + 1
        assert comparable(again) == comparable(full)
        assert cache.hits >= 2

    async def test_an_untrusted_cache_leaves_a_tokens_hit_to_the_whole_stack(
        self, w: World
    ) -> None:
        # given a cache without a listener's lease: the token's facts are read before a hit
        cache = cache_on(w.app)
        for _ in range(4):
            assert (await w.post(lookup(w.inside), w.granted)).status_code == 200
        # then the whole stack answered its hits, never the lane
        assert cache.hits >= 3
        assert w.lane.served_hits == 0

    async def test_a_metered_hit_charges_the_budget_as_the_whole_stack(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given two apps with the same budget and a cache each: one with the lane
        lane = await _app_world(conn, signing_keys, rate_limit=12)
        plain = await _app_world(conn, signing_keys, rate_limit=12)
        async with lane.client, plain.client:
            cache_on(lane.app, trusted=True)
            cache_on(plain.app, trusted=True)
            ours, theirs = [], []
            for _ in range(16):
                ours.append(await lane.post(lookup(lane.public), lane.granted))
                with whole_stack():
                    theirs.append(await plain.post(lookup(plain.public), plain.granted))
            # then the same statuses, bodies (throttle status included) and headers
            assert lane.lane.served_hits >= 3
            assert [r.status_code for r in ours] == [r.status_code for r in theirs]
            assert 429 in [r.status_code for r in ours]
            for one, two in zip(ours, theirs, strict=True):
                assert _budget(one) == _budget(two)

    async def test_hits_never_cross_principals(self, w: World) -> None:
        # given each principal's hit of the coalition-only dataset seen by the lane
        cache_on(w.app, trusted=True)
        seen: dict[str | None, Any] = {}
        for token in (w.granted, w.viewer, w.outsider, None):
            await w.post(lookup(w.inside), token)
            await w.post(lookup(w.inside), token)
            seen[token] = (await hit_served(w, lookup(w.inside), token)).json()
        # then each has its own answer
        assert seen[w.granted]["data"]["dataset"]["title"] == "Inside"
        assert seen[w.viewer]["data"]["dataset"]["title"] == "Inside"
        assert seen[w.outsider]["data"]["dataset"] is None
        assert seen[None]["data"]["dataset"] is None


def _budget(response: httpx.Response) -> tuple[Any, ...]:
    """``comparable`` but the dataset's own names and the refill's seconds."""
    status, _, headers = comparable(response)
    extensions = response.json().get("extensions") if status == 200 else None
    if extensions is not None:
        extensions["cost"]["throttleStatus"].pop("currentlyAvailable")
    kept = [(k, "_" if k == "retry-after" else v) for k, v in headers if k != "content-length"]
    return status, extensions, kept


class TestMisses:
    async def test_a_miss_read_by_the_lane_fills_the_cache_as_the_whole_stack(
        self, w: World
    ) -> None:
        # given what the whole stack stores for a miss
        cache = cache_on(w.app, trusted=True)
        await w.post(lookup(w.inside), w.granted)
        await hit_served(w, lookup(w.inside), w.granted)  # the lane knows the read and its hit
        # when everything misses (a write was heard) and the lane reads it
        cache.bump()
        before, hits = w.lane.served, w.lane.served_hits
        miss = await w.post(lookup(w.inside), w.granted)
        # then the lane answered the miss with its statement and stored an entry
        assert w.lane.served == before + 1
        assert w.lane.served_hits == hits
        assert miss.json()["data"]["dataset"]["title"] == "Inside"
        stored = entry_of(cache)
        # and the next request is the lane's hit of it
        await w.post(lookup(w.inside), w.granted)
        assert w.lane.served_hits == hits + 1
        # and the whole stack stores the same entry for the same miss
        cache.bump()
        with whole_stack():
            await w.post(lookup(w.inside), w.granted)
        assert entry_of(cache) == stored

    async def test_a_check_that_finds_nothing_new_keeps_the_lanes_answers(self, w: World) -> None:
        # given the lane knowing a token's read and its hit
        cache = cache_on(w.app, trusted=True)
        await w.post(lookup(w.inside), w.granted)
        await hit_served(w, lookup(w.inside), w.granted)
        # when a write was heard and the whole stack checks the token again (another read)
        cache.bump()
        with whole_stack():
            assert (await w.post(lookup(w.public), w.granted)).status_code == 200
        # then the check kept the remembered principal: the lane reads the miss itself
        before = w.lane.served
        miss = await w.post(lookup(w.inside), w.granted)
        assert w.lane.served == before + 1
        assert miss.json()["data"]["dataset"]["title"] == "Inside"

    async def test_a_metered_miss_is_stored_with_its_cost(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        made = await _app_world(conn, signing_keys, rate_limit=1000)
        async with made.client:
            cache = cache_on(made.app, trusted=True)
            await made.post(lookup(made.public), made.granted)
            await hit_served(made, lookup(made.public), made.granted)
            cache.bump()
            before = made.lane.served
            await made.post(lookup(made.public), made.granted)
            assert made.lane.served == before + 1
            _, _, status, stored_headers, stored_cost, span = entry_of(cache)
            body = next(iter(cache._entries.values())).body
            cache.bump()
            with whole_stack():
                await made.post(lookup(made.public), made.granted)
            _, _, _, headers, cost, throttle = entry_of(cache)
            assert (stored_headers, stored_cost, status) == (headers, cost, 200)
            assert span is not None and throttle is not None
            assert json.loads(body[span[0] : span[1]])["maximumAvailable"] == 1000

    async def test_a_write_while_the_lane_reads_stores_nothing(
        self, w: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given the lane knowing the read
        cache = cache_on(w.app)
        await w.post(lookup(w.public))
        await hit_served(w, lookup(w.public))
        cache.bump()
        # when a write is heard while its statement runs
        real = RequestDb.driver_row

        async def bumping(self: Any, *args: Any) -> Any:
            cache.bump()
            return await real(self, *args)

        monkeypatch.setattr(RequestDb, "driver_row", bumping)
        before = w.lane.served
        answer = await w.post(lookup(w.public))
        # then it is answered, and nothing stored for a version that moved
        assert w.lane.served == before + 1
        assert answer.json()["data"]["dataset"]["title"] == "Open"
        assert len(cache) == 0


class TestChangesBetweenRequests:
    async def test_a_revoked_grant(self, w: World, conn: AsyncConnection) -> None:
        # given the lane answering the machine's hit
        cache = cache_on(w.app)
        await w.post(lookup(w.inside), w.granted)
        await w.post(lookup(w.public))
        await hit_served(w, lookup(w.public))
        # when its grant is revoked (a write: the cache is emptied)
        await _revoke_grant(conn, w.grant)
        # then the row is gone from every later answer, as from the whole stack's
        assert len(cache) == 0
        for _ in range(3):
            assert (await w.post(lookup(w.inside), w.granted)).json()["data"]["dataset"] is None
        full = await w.full(lookup(w.inside), w.granted)
        assert full.json()["data"]["dataset"] is None

    async def test_a_revoked_token_after_a_trusted_hit(
        self, w: World, conn: AsyncConnection
    ) -> None:
        # given the lane answering the token's hits without reading its facts
        cache_on(w.app, trusted=True)
        await w.post(lookup(w.inside), w.granted)
        await hit_served(w, lookup(w.inside), w.granted)
        # when the token is revoked
        jti = validate_access_token(
            w.granted, w.keys, issuer="http://testserver", audience="lnob-api"
        ).jti
        await conn.execute(
            sa.insert(models.RevokedToken.__table__).values(
                jti=jti, expires_at=sa.func.now() + sa.text("interval '1 hour'")
            )
        )
        # then never the old answer again: refused, as the whole stack refuses it
        hits = w.lane.served_hits
        for _ in range(3):
            refused = await w.post(lookup(w.inside), w.granted)
            assert refused.status_code == 401
            assert "revoked" in refused.headers["www-authenticate"]
        assert w.lane.served_hits == hits

    async def test_a_role_removed_after_a_trusted_hit(
        self, w: World, conn: AsyncConnection
    ) -> None:
        cache_on(w.app, trusted=True)
        await w.post(lookup(w.inside), w.viewer)
        seen = await hit_served(w, lookup(w.inside), w.viewer)
        assert seen.json()["data"]["dataset"]["title"] == "Inside"
        # when the user's role is taken away
        roles = models.CoalitionUserRole.__table__
        await conn.execute(sa.delete(roles).where(roles.c.user_id == w.user["id"]))
        # then the coalition-only row is no longer answered
        for _ in range(3):
            answer = await w.post(lookup(w.inside), w.viewer)
            assert answer.json()["data"]["dataset"] is None, answer.text


class TestLeakMatrix:
    async def test_every_principal_and_document_with_the_cache_on(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given the leak matrix's world and principals, and a trusted cache
        lw = await leak_world(conn, signing_keys)
        app = create_app(
            Settings(env="test", issuer="http://testserver", compiled=True),
            database=ConnectionDatabase(conn),
            keys=signing_keys,
        )
        cache = cache_on(app, trusted=True)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            lane = _lane(app)
            for principal, token in lw["tokens"].items():
                headers = bearer(token) if token else {}
                for name, (query, variables) in CORPUS.items():
                    body = {"query": query, "variables": variables(lw)}
                    # when the whole stack answers (a miss, then a hit), then the lane
                    with whole_stack():
                        first = await client.post("/graphql", json=body, headers=headers)
                        full = await client.post("/graphql", json=body, headers=headers)
                    # (after a write: the lane sees a miss and a hit, then answers a hit)
                    cache.bump()
                    answers = [
                        await client.post("/graphql", json=body, headers=headers) for _ in range(3)
                    ]
                    # and after another write, the lane's miss and its hit
                    cache.bump()
                    served, hits = lane.served, lane.served_hits
                    answers += [
                        await client.post("/graphql", json=body, headers=headers) for _ in range(2)
                    ]
                    # then the same answers, and the compiled documents served by the lane
                    assert comparable(first) == comparable(full), (principal, name)
                    for answer in answers:
                        assert comparable(answer) == comparable(full), (principal, name)
                    if name in COMPILED:
                        assert lane.served_hits == hits + 1, (principal, name)
                        assert lane.served == served + 2, (principal, name)


def _lane(app: Any) -> FastLane:
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack
    while not isinstance(layer, FastLane):
        layer = layer.app
    return layer


class TestPersistedDocuments:
    async def test_a_hit_by_hash_and_get_with_etag(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        w = await _app_world(conn, signing_keys, rate_limit=0)
        cache_on(w.app)
        sha = digest(LOOKUP_DOCUMENT)
        w.app.state.graphql.documents.remember(sha, LOOKUP_DOCUMENT)
        document_id = f"sha256:{sha}"
        body = {"documentId": document_id, "variables": {"id": w.public}}
        # when a POST by hash is asked again and again
        await w.post(body)
        served = await hit_served(w, body)
        # then the lane's hit is the dataset
        assert served.json()["data"]["dataset"]["title"] == "Open"
        # and a GET of the same document carries its ETag, then 304 for it
        params = {"documentId": document_id, "variables": json.dumps({"id": w.public})}
        got = await w.client.get("/graphql", params=params)
        assert got.status_code == 200, got.text
        etag = got.headers["etag"]
        again = await w.client.get("/graphql", params=params, headers={"if-none-match": etag})
        assert again.status_code == 304
        assert again.headers["etag"] == etag


LOOKUP_DOCUMENT = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"


class TestPerPlanValidity:
    async def test_another_documents_plan_keeps_the_answer(self, w: World) -> None:
        # given the lane answering a lookup
        await w.served(lookup(w.public))
        # when another document is compiled (a new plan)
        other = {"query": OTHER, "variables": {"id": w.public}}
        assert (await w.post(other)).status_code == 200
        # then the lookup is the lane's at once
        before = w.lane.served
        await w.post(lookup(w.public))
        assert w.lane.served == before + 1

    async def test_its_own_plan_rebuilt_drops_the_answer(self, w: World) -> None:
        await w.served(lookup(w.public))
        # when its plan is gone (rebuilt on the next request)
        w.app.state.graphql.compiled.plans.clear()
        before = w.lane.served
        answer = await w.post(lookup(w.public))
        # then the whole stack answers it once, and the lane again afterwards
        assert w.lane.served == before
        assert answer.json()["data"]["dataset"]["title"] == "Open"
        await w.served(lookup(w.public))
