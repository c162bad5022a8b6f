"""The bearer check of a token seen before, folded into the request's one statement
(``auth.deferred``): one statement per compiled read, and still no request that starts after
a change answers with the principal from before it, whatever way it takes through the
endpoint (the compiled statement, Strawberry's resolvers, a request error)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.tokens import validate_access_token
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase
from lnob_api.graphql.ids import to_global_id

LOOKUP = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"
INTROSPECTION = "{ __typename }"  # answered by Strawberry, never compiled


@dataclasses.dataclass
class Agency:
    client: httpx.AsyncClient
    token: str
    organisation: Any
    coalition: Any
    dataset: str  # a COALITION dataset's global id
    logged: list[str]
    keys: KeyStore
    compiled: bool


@pytest.fixture(params=[True, False], ids=["compiled", "strawberry"])
async def agency(
    conn: AsyncConnection, signing_keys: KeyStore, request: pytest.FixtureRequest
) -> AsyncIterator[Agency]:
    coalition = await f.create_coalition(conn)
    organisation = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    machine = await f.create_client(conn, organisation)
    ds = await f.create_dataset(conn, coalition, visibility="COALITION", title="Inside")
    token = token_for(signing_keys, client=machine)
    settings = Settings(env="test", issuer="http://testserver", compiled=request.param)
    app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
    logged: list[str] = []
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    driver.add_query_logger(lambda query: logged.append(query.query))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Agency(
            client,
            token,
            organisation,
            coalition,
            to_global_id("Dataset", ds["id"]),
            logged,
            signing_keys,
            request.param,
        )


async def _lookup(agency: Agency) -> httpx.Response:
    body = {"query": LOOKUP, "variables": {"id": agency.dataset}}
    return await agency.client.post("/graphql", json=body, headers=bearer(agency.token))


async def _revoke(conn: AsyncConnection, keys: KeyStore, token: str) -> None:
    jti = validate_access_token(token, keys, issuer="http://testserver", audience="lnob-api").jti
    await conn.execute(
        sa.insert(models.RevokedToken.__table__).values(
            jti=jti, expires_at=sa.func.now() + sa.text("interval '1 hour'")
        )
    )


class TestDeferredCheck:
    async def test_a_token_seen_before_reads_with_one_statement(self, agency: Agency) -> None:
        # given the token checked once (its check remembered)
        first = await _lookup(agency)
        assert first.status_code == 200, first.text
        assert first.json()["data"] == {"dataset": None}
        # when it is sent again
        agency.logged.clear()
        again = await _lookup(agency)
        # then the same answer; on the compiled path one statement read the data and the facts
        assert again.status_code == 200
        assert again.json() == first.json()
        facts = [q for q in agency.logged if "revoked_tokens" in q]
        assert len(facts) == 1, agency.logged
        if agency.compiled:
            assert "AS data" in facts[0], facts[0][:300]

    async def test_a_new_membership_is_seen_on_the_next_request(
        self, agency: Agency, conn: AsyncConnection
    ) -> None:
        # given the agency, outside the coalition, refused its COALITION dataset
        assert (await _lookup(agency)).json()["data"] == {"dataset": None}
        # when its organisation joins the coalition
        await f.add_member(conn, agency.coalition, agency.organisation)
        # then its next request reads as a member (the principal rebuilt from the new facts)
        response = await _lookup(agency)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["dataset"]["title"] == "Inside"

    async def test_a_revoked_token_is_refused_on_the_next_request(
        self, agency: Agency, conn: AsyncConnection
    ) -> None:
        # given
        assert (await _lookup(agency)).status_code == 200
        # when
        await _revoke(conn, agency.keys, agency.token)
        # then a 401 on every way through the endpoint, never an answer
        for _ in range(2):
            refused = await _lookup(agency)
            assert refused.status_code == 401, refused.text
            assert "revoked" in refused.headers["www-authenticate"]

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(b'{"query": ', id="broken-json"),
            pytest.param(b'{"query": "{ __typename }"}', id="resolvers"),
            pytest.param(b'{"query": "mutation { nope }"}', id="invalid-document"),
        ],
    )
    async def test_a_revoked_token_is_refused_whatever_the_request(
        self, agency: Agency, conn: AsyncConnection, body: bytes
    ) -> None:
        # given the token remembered
        assert (await _lookup(agency)).status_code == 200
        # when it is revoked and then sent with a request that never reaches the compiled path
        await _revoke(conn, agency.keys, agency.token)
        headers = bearer(agency.token) | {"content-type": "application/json"}
        refused = await agency.client.post("/graphql", content=body, headers=headers)
        # then 401, as before the check was deferred (not the request's own error or answer)
        assert refused.status_code == 401, refused.text
        assert "revoked" in refused.headers["www-authenticate"]

    async def test_a_disabled_client_is_refused_on_a_get(
        self, agency: Agency, conn: AsyncConnection
    ) -> None:
        # given
        assert (await _lookup(agency)).status_code == 200
        # when
        clients = models.OAuthClient.__table__
        await conn.execute(
            sa.update(clients)
            .where(clients.c.organisation_id == agency.organisation["id"])
            .values(revoked_at=sa.func.now())
        )
        # then
        refused = await agency.client.get(
            "/graphql", params={"query": INTROSPECTION}, headers=bearer(agency.token)
        )
        assert refused.status_code == 401, refused.text
        assert "no longer registered" in refused.headers["www-authenticate"]
