"""The fast lane (``graphql.fastlane``) answers a repeated compiled read exactly as the whole
stack does (status, body bytes, headers but the request id), and never an answer the whole
stack would not give: revoked, deactivated, expired, rotated, regranted, or another request."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.auth.test_revocation_in_flight import Reader, reader, world  # noqa: F401
from tests.compiled.corpus import COMPILED, CORPUS
from tests.compiled.test_differential import world as leak_world
from tests.helpers import bearer, token_for
from tests.integrity.world import REVOKE
from tests.integrity.world import World as IntegrityWorld

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.auth.tokens import validate_access_token
from lnob_api.cache.store import ResponseCache
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase
from lnob_api.graphql import fastlane
from lnob_api.graphql.ids import to_global_id

LOOKUP = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"
# What differs between two answers of the same request: the budget refills with time.
_MOVING = re.compile(rb'"currentlyAvailable":\d+|"requestId": ?"[^"]*"')
_UNCOMPARED = {"x-request-id", "date"}


def comparable(response: httpx.Response) -> tuple[Any, ...]:
    """Status, body and headers (in order), but the request id and the budget's refill."""
    headers = [
        (k, re.sub(r";r=\d+;t=\d+", ";r=_;t=_", v) if k == "ratelimit" else v)
        for k, v in response.headers.multi_items()
        if k not in _UNCOMPARED
    ]
    return response.status_code, _MOVING.sub(b"", response.content), headers


def lane_of(app: Any) -> fastlane.FastLane:
    if app.middleware_stack is None:  # built on the first request
        app.middleware_stack = app.build_middleware_stack()
    layer = app.middleware_stack
    while not isinstance(layer, fastlane.FastLane):
        layer = layer.app
    return layer


@contextmanager
def lane_off() -> Iterator[None]:
    fastlane.ENABLED = False
    try:
        yield
    finally:
        fastlane.ENABLED = True


@dataclasses.dataclass
class World:
    app: Any
    client: httpx.AsyncClient
    keys: KeyStore
    coalition: Any
    machine: Any
    grant: Any
    user: Any
    granted: str  # the machine's token (its grant opens the coalition's data)
    viewer: str  # the coalition viewer's token
    outsider: str  # a token of a client without a grant
    inside: str  # a COALITION dataset's global id
    public: str  # a PUBLIC dataset's global id

    @property
    def lane(self) -> fastlane.FastLane:
        return lane_of(self.app)

    async def post(self, body: Any, token: str | None = None, **headers: str) -> httpx.Response:
        sent = dict(headers) | (bearer(token) if token else {})
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent.setdefault("content-type", "application/json")
        return await self.client.post("/graphql", content=content, headers=sent)

    async def full(self, body: Any, token: str | None = None, **headers: str) -> httpx.Response:
        """The whole stack's answer."""
        with lane_off():
            return await self.post(body, token, **headers)

    async def served(self, body: Any, token: str | None = None, **headers: str) -> httpx.Response:
        """The lane's answer (asked until the lane answers it; asserted)."""
        for _ in range(3):
            before = self.lane.served
            response = await self.post(body, token, **headers)
            if self.lane.served == before + 1:
                return response
        raise AssertionError("the lane never answered")


def lookup(gid: str) -> dict[str, Any]:
    return {"query": LOOKUP, "variables": {"id": gid}}


async def _app_world(conn: AsyncConnection, keys: KeyStore, **overrides: Any) -> World:
    coalition = await f.create_coalition(conn)
    agency = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    machine = await f.create_client(conn, agency)
    grant = await f.create_grant(conn, coalition, client_id=machine["id"])
    other = await f.create_client(conn, await f.create_organisation(conn, kind="STATISTICS_AGENCY"))
    member = await f.create_organisation(conn)
    await f.add_member(conn, coalition, member)
    frontend = await f.create_client(conn, member)
    user = await f.create_user(conn)
    await f.give_role(conn, user, coalition, "VIEWER")
    inside = await f.create_dataset(conn, coalition, visibility="COALITION", title="Inside")
    public = await f.create_dataset(conn, coalition, visibility="PUBLIC", title="Open")
    settings = Settings(env="test", issuer="http://testserver", compiled=True, **overrides)
    app = create_app(settings, database=ConnectionDatabase(conn), keys=keys)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return World(
        app,
        client,
        keys,
        coalition,
        machine,
        grant,
        user,
        granted=token_for(keys, client=machine),
        viewer=token_for(keys, client=frontend, user=user),
        outsider=token_for(keys, client=other),
        inside=to_global_id("Dataset", inside["id"]),
        public=to_global_id("Dataset", public["id"]),
    )


@pytest.fixture
async def w(conn: AsyncConnection, signing_keys: KeyStore) -> AsyncIterator[World]:
    made = await _app_world(conn, signing_keys)
    async with made.client:
        yield made


def _title(response: httpx.Response) -> str | None:
    found = response.json()["data"]["dataset"]
    return None if found is None else str(found["title"])


class TestSameAnswers:
    async def test_every_principal_and_document_of_the_corpus(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given the leak matrix's world and principals
        lw = await leak_world(conn, signing_keys)
        app = create_app(
            Settings(env="test", issuer="http://testserver", compiled=True),
            database=ConnectionDatabase(conn),
            keys=signing_keys,
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for principal, token in lw["tokens"].items():
                headers = bearer(token) if token else {}
                for name, (query, variables) in CORPUS.items():
                    body = {"query": query, "variables": variables(lw)}
                    # when the whole stack answers, then the lane (recording, then serving)
                    with lane_off():
                        full = await client.post("/graphql", json=body, headers=headers)
                    answers = []
                    served = 0
                    for _ in range(3):
                        before = lane_of(app).served
                        answers.append(await client.post("/graphql", json=body, headers=headers))
                        served += lane_of(app).served - before
                    # then the same answers, and the compiled documents served by the lane
                    for answer in answers:
                        assert comparable(answer) == comparable(full), (principal, name)
                    assert served >= 1 or name not in COMPILED, (principal, name)

    async def test_other_media_types_and_languages(self, w: World) -> None:
        for headers in (
            {"accept": "application/graphql-response+json"},
            {"accept-language": "fr"},
            {"accept": "application/json", "accept-language": "es, en;q=0.5"},
            {"content-type": "application/json; charset=utf-8"},
        ):
            # when
            full = await w.full(lookup(w.public), **headers)
            served = await w.served(lookup(w.public), **headers)
            # then
            assert comparable(served) == comparable(full), headers
            assert _title(served) == "Open"

    async def test_the_request_id_given_is_echoed(self, w: World) -> None:
        served = await w.served(lookup(w.public), **{"x-request-id": "abc-123"})
        assert served.headers["x-request-id"] == "abc-123"
        other = await w.served(lookup(w.public))
        assert re.fullmatch("[0-9a-f]{32}", other.headers["x-request-id"])


class TestSteppingAside:
    async def test_a_body_differing_by_one_byte(self, w: World) -> None:
        # given a remembered answer
        await w.served(lookup(w.public))
        before = w.lane.served
        # when the body differs by a space, or by the id asked for
        spaced = json.dumps(lookup(w.public)).encode() + b" "
        other = await w.post(spaced)
        inside = await w.post(lookup(w.inside))
        # then the whole stack answers each, as itself
        assert w.lane.served == before
        assert comparable(other) == comparable(await w.full(spaced))
        assert _title(inside) is None

    async def test_a_different_token_with_the_same_body(self, w: World) -> None:
        # given the granted client's answer remembered
        await w.full(lookup(w.inside), w.granted)
        assert _title(await w.served(lookup(w.inside), w.granted)) == "Inside"
        before = w.lane.served
        # when another client sends the same body
        await w.full(lookup(w.inside), w.outsider)  # its token checked once
        answers = [await w.post(lookup(w.inside), w.outsider) for _ in range(3)]
        # then it never gets the other's answer
        assert [_title(a) for a in answers] == [None, None, None]
        assert w.lane.served == before + 2  # its own answer, once remembered

    async def test_a_different_language(self, w: World) -> None:
        await w.served(lookup(w.public), **{"accept-language": "en"})
        before = w.lane.served
        french = await w.post(lookup(w.public), **{"accept-language": "fr"})
        assert w.lane.served == before
        assert comparable(french) == comparable(
            await w.full(lookup(w.public), **{"accept-language": "fr"})
        )

    async def test_compressed_as_the_whole_stack_compresses(
        self, w: World, conn: AsyncConnection
    ) -> None:
        # given an answer long enough to be compressed
        ds = await f.create_dataset(conn, w.coalition, description="long " * 200)
        body = {
            "query": "query($id: ID!) { dataset(id: $id) { description } }",
            "variables": {"id": to_global_id("Dataset", ds["id"])},
        }
        for coding, used in (
            ("gzip", "gzip"),
            ("br", "br"),
            ("gzip;q=0.5, br;q=0.9", "br"),
            ("identity", None),
        ):
            # when
            full = await w.full(body, **{"accept-encoding": coding})
            served = await w.served(body, **{"accept-encoding": coding})
            # then the same bytes on the wire
            assert comparable(served) == comparable(full), coding
            assert served.headers.get("content-encoding") == used

    async def test_with_the_response_cache_on(self, w: World) -> None:
        # given the response cache on (its hits need no statement at all)
        graphql = w.app.state.graphql
        graphql.cache = ResponseCache(ttl=3600.0, next_change=graphql.next_change)
        # when the same read is asked again and again
        answers = [await w.post(lookup(w.public)) for _ in range(4)]
        # then the whole stack answers the miss and the first hit (the lane sees both), and
        # the lane the next hits from the same cache (tests/graphql/test_fast_lane_cache.py)
        assert w.lane.served == w.lane.served_hits == 2
        assert graphql.cache.hits == 3
        assert {_title(a) for a in answers} == {"Open"}

    async def test_a_failure_of_the_lane_is_answered_by_the_whole_stack(
        self, w: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a remembered answer
        await w.served(lookup(w.public))
        before = w.lane.served

        def broken(*args: Any, **kwargs: Any) -> bytes:
            raise RuntimeError("a gap in the lane")

        # when the lane fails before it answers
        monkeypatch.setattr(fastlane, "response_body", broken)
        answer = await w.post(lookup(w.public))
        # then the whole stack answers, as itself
        assert w.lane.served == before
        assert answer.status_code == 200
        assert _title(answer) == "Open"


class TestChangesBetweenRequests:
    async def test_a_revoked_token(self, w: World, conn: AsyncConnection) -> None:
        # given the lane answering the token's request
        await w.full(lookup(w.inside), w.granted)
        assert _title(await w.served(lookup(w.inside), w.granted)) == "Inside"
        # when the token is revoked
        jti = validate_access_token(
            w.granted, w.keys, issuer="http://testserver", audience="lnob-api"
        ).jti
        await conn.execute(
            sa.insert(models.RevokedToken.__table__).values(
                jti=jti, expires_at=sa.func.now() + sa.text("interval '1 hour'")
            )
        )
        # then the next identical request is refused, as the whole stack refuses it
        refused = await w.post(lookup(w.inside), w.granted)
        assert refused.status_code == 401
        assert "revoked" in refused.headers["www-authenticate"]
        assert comparable(refused) == comparable(await w.full(lookup(w.inside), w.granted))
        assert (await w.post(lookup(w.inside), w.granted)).status_code == 401

    async def test_a_deactivated_user(self, w: World, conn: AsyncConnection) -> None:
        await w.full(lookup(w.inside), w.viewer)
        assert _title(await w.served(lookup(w.inside), w.viewer)) == "Inside"
        # when
        await conn.execute(
            sa.update(models.User.__table__)
            .where(models.User.__table__.c.id == w.user["id"])
            .values(is_active=False)
        )
        # then
        refused = await w.post(lookup(w.inside), w.viewer)
        assert refused.status_code == 401, refused.text
        assert comparable(refused) == comparable(await w.full(lookup(w.inside), w.viewer))

    async def test_a_revoked_grant(self, w: World, conn: AsyncConnection) -> None:
        await w.full(lookup(w.inside), w.granted)
        assert _title(await w.served(lookup(w.inside), w.granted)) == "Inside"
        # when the grant is revoked
        await _revoke_grant(conn, w.grant)
        # then the row is gone from the next answer, as from the whole stack's
        gone = await w.post(lookup(w.inside), w.granted)
        assert _title(gone) is None
        assert comparable(gone) == comparable(await w.full(lookup(w.inside), w.granted))
        assert _title(await w.served(lookup(w.inside), w.granted)) is None

    async def test_a_viewer_role_removed(self, w: World, conn: AsyncConnection) -> None:
        await w.full(lookup(w.inside), w.viewer)
        assert _title(await w.served(lookup(w.inside), w.viewer)) == "Inside"
        # when the user's role is taken away (the principal rebuilt)
        roles = models.CoalitionUserRole.__table__
        await conn.execute(sa.delete(roles).where(roles.c.user_id == w.user["id"]))
        # then
        answer = await w.post(lookup(w.inside), w.viewer)
        assert comparable(answer) == comparable(await w.full(lookup(w.inside), w.viewer))

    async def test_an_expired_token(self, w: World) -> None:
        # given a token that expires (past the leeway) in about two seconds
        now = int(time.time())
        token = token_for(w.keys, client=w.machine, ttl=300, now=now - 328)
        await w.full(lookup(w.inside), token)
        assert _title(await w.served(lookup(w.inside), token)) == "Inside"
        # when it has expired
        await asyncio.sleep(max(0.0, now + 3 - time.time()))
        # then
        refused = await w.post(lookup(w.inside), token)
        assert refused.status_code == 401
        assert "expired" in refused.headers["www-authenticate"]
        assert comparable(refused) == comparable(await w.full(lookup(w.inside), token))

    async def test_rotated_keys(self, w: World) -> None:
        await w.full(lookup(w.inside), w.granted)
        assert _title(await w.served(lookup(w.inside), w.granted)) == "Inside"
        # when the signing keys are replaced (the token's key retired)
        w.app.state.keys._store = KeyStore([new_key()])
        # then
        refused = await w.post(lookup(w.inside), w.granted)
        assert refused.status_code == 401
        assert comparable(refused) == comparable(await w.full(lookup(w.inside), w.granted))


async def _revoke_grant(conn: AsyncConnection, grant: Any) -> None:
    grants = models.Grant.__table__
    await conn.execute(
        sa.update(grants).where(grants.c.id == grant["id"]).values(revoked_at=sa.func.now())
    )


class TestConcurrentRevocation:
    async def test_no_answer_after_the_acknowledgement_shows_the_row(
        self,
        reader: Reader,  # noqa: F811 (the fixture of tests/auth/test_revocation_in_flight.py)
        world: IntegrityWorld,  # noqa: F811 (the same)
    ) -> None:
        # given the lane answering the agency's lookup (committed rows, the engine's pool)
        lane = lane_of(reader.client._transport.app)  # type: ignore[attr-defined]
        before = lane.served
        assert (await reader.lookup()).json() == reader.old
        assert lane.served == before + 1
        # when identical requests run while A's admin revokes the grant
        early = [asyncio.ensure_future(reader.lookup()) for _ in range(6)]
        await asyncio.sleep(0)
        revoked = (await world.post(REVOKE, {"input": {"id": reader.grant}}, "admin")).json()
        late = await asyncio.gather(*(reader.lookup() for _ in range(6)))
        # then every answer is whole (old, or the row gone); none after the revocation's
        # acknowledgement shows it
        assert revoked["data"]["grantRevoke"]["userErrors"] == [], revoked
        for answer in await asyncio.gather(*early):
            assert reader.outcome(answer, "missing") in ("old", "refused")
        assert [reader.outcome(a, "missing") for a in late] == ["refused"] * 6
        assert lane.served > before + 1


class TestRateLimit:
    async def test_the_budget_and_429_as_the_whole_stack(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given two apps with the same small budget: one with the lane, one without
        lane = await _app_world(conn, signing_keys, rate_limit=12)
        plain = await _app_world(conn, signing_keys, rate_limit=12)
        async with lane.client, plain.client:
            with lane_off():
                await plain.post(lookup(plain.public), plain.granted)
            await lane.full(lookup(lane.public), lane.granted)
            # when each spends its budget on the same request
            ours, theirs = [], []
            for _ in range(16):
                ours.append(await lane.post(lookup(lane.public), lane.granted))
                with lane_off():
                    theirs.append(await plain.post(lookup(plain.public), plain.granted))
            # then the same statuses, bodies and headers (the dataset's own ids aside)
            assert [r.status_code for r in ours] == [r.status_code for r in theirs]
            assert 429 in [r.status_code for r in ours]
            assert lane.lane.served >= 1
            for one, two in zip(ours, theirs, strict=True):
                assert _refusal(one) == _refusal(two)


def _refusal(response: httpx.Response) -> tuple[Any, ...]:
    """``comparable`` but the dataset's own names and length, and the refill's seconds."""
    status, body, headers = comparable(response)
    body = re.sub(rb'"(title|name)":"[^"]*"', b"", body)
    if status == 429:
        body = re.sub(rb"\d+", b"N", body)
    kept = [(k, "_" if k == "retry-after" else v) for k, v in headers if k != "content-length"]
    return status, body, kept
