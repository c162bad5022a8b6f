"""``partnership:admin`` only ever reaches users flagged as partnership admins: never a client's
registration, never a client-credentials token, never a user unflagged since; introspection and
the principal follow the flag as it is now, whatever an older token says."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, gql, token_for
from tests.http.test_oauth_authorize import (
    PASSWORD,
    _exchange,
    _params,
    _pkce,
    _query,
    _sign_in,
)

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.secrets import hash_password
from lnob_api.auth.tokens import validate_access_token
from lnob_api.config import Settings
from lnob_api.http import oauth

ADMIN = "partnership:admin"
CLIENT_CREATE = """
mutation ($input: ClientCreateInput!) {
  clientCreate(input: $input) {
    client { clientId scopes }
    clientSecret
    userErrors { field code message }
  }
}
"""
VIEWER = "{ viewer { kind scopes isPartnershipAdmin } }"
ORGANISATION_CREATE = """
mutation { organisationCreate(input: { name: "Should Not Exist" }) {
  organisation { slug } userErrors { code } } }
"""


@pytest.fixture(autouse=True)
def _no_failure_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oauth, "FAILURE_DELAY_SECONDS", 0)


@pytest.fixture
async def organisation(conn: AsyncConnection) -> Any:
    return await f.create_organisation(conn)


@pytest.fixture
async def legacy_machine(conn: AsyncConnection, organisation: Any) -> Any:
    """A machine client registered with partnership:admin before the scope was refused."""
    return await f.create_client(
        conn,
        organisation,
        scopes=["data:read", ADMIN],
        grant_types=["client_credentials"],
        redirect_uris=[],
    )


@pytest.fixture
async def frontend(conn: AsyncConnection, organisation: Any) -> Any:
    """A server-side frontend (confidential, so it may introspect) that may carry every scope
    for the users signing in through it."""
    return await f.create_client(
        conn,
        organisation,
        scopes=["data:read", "data:write", ADMIN],
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=["http://127.0.0.1:9999/callback"],
    )


@pytest.fixture
async def flagged(conn: AsyncConnection) -> Any:
    return await f.create_user(
        conn,
        email="amina@example.org",
        password_hash=hash_password(PASSWORD),
        is_partnership_admin=True,
    )


def _claims(token: str, keys: KeyStore, settings: Settings) -> frozenset[str]:
    claims = validate_access_token(token, keys, issuer=settings.issuer, audience=settings.audience)
    return claims.scopes


async def _introspect(http: httpx.AsyncClient, client: Any, token: str) -> dict[str, Any]:
    response = await http.post(
        "/oauth/introspect",
        data={"token": token},
        auth=httpx.BasicAuth(client["client_id"], _secret(client)),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _secret(client: Any) -> str:
    return f"secret-{client['client_id']}"


async def _refresh(http: httpx.AsyncClient, client: Any, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    return await http.post(
        "/oauth/token", data=form, auth=httpx.BasicAuth(client["client_id"], _secret(client))
    )


async def _admin_tokens(http: httpx.AsyncClient, frontend: Any) -> dict[str, Any]:
    verifier, challenge = _pkce()
    redirect = await _sign_in(http, _params(frontend, challenge, scope=f"data:read {ADMIN}"))
    assert redirect.status_code == 302, redirect.text
    code = _query(redirect)["code"][0]
    response = await _exchange(http, frontend, code, verifier, client_secret=_secret(frontend))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _unflag(conn: AsyncConnection, user: Any) -> None:
    await conn.execute(
        sa.update(models.User.__table__)
        .where(models.User.id == user["id"])
        .values(is_partnership_admin=False)
    )


class TestClientRegistration:
    async def test_client_create_refuses_the_scope(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
        frontend: Any,
        flagged: Any,
        organisation: Any,
    ) -> None:
        # given a partnership admin's token
        token = token_for(signing_keys, client=frontend, user=flagged, scopes=("data:read", ADMIN))
        before = (await conn.execute(sa.select(sa.func.count(models.OAuthClient.id)))).scalar()
        # when they register a machine client with partnership:admin
        body = await gql(
            client,
            CLIENT_CREATE,
            {
                "input": {
                    "organisation": organisation["slug"],
                    "name": "Sync",
                    "scopes": ["data:read", ADMIN],
                }
            },
            headers=bearer(token),
        )
        # then it is refused with a user error naming the scope, and nothing is written
        payload = body["data"]["clientCreate"]
        assert payload["client"] is None and payload["clientSecret"] is None
        (error,) = payload["userErrors"]
        assert error["field"] == ["input", "scopes"] and error["code"] == "INVALID"
        assert "partnership:admin cannot be given to a client" in error["message"]
        after = (await conn.execute(sa.select(sa.func.count(models.OAuthClient.id)))).scalar()
        assert after == before

    async def test_client_create_without_the_scope_still_works(
        self,
        client: httpx.AsyncClient,
        signing_keys: KeyStore,
        frontend: Any,
        flagged: Any,
        organisation: Any,
    ) -> None:
        token = token_for(signing_keys, client=frontend, user=flagged, scopes=("data:read", ADMIN))
        variables = {
            "input": {"organisation": organisation["slug"], "name": "Sync", "scopes": ["data:read"]}
        }
        body = await gql(client, CLIENT_CREATE, variables, headers=bearer(token))
        payload = body["data"]["clientCreate"]
        assert payload["userErrors"] == []
        assert payload["client"]["scopes"] == ["data:read"]


class TestClientCredentials:
    async def test_a_legacy_registration_does_not_give_it(
        self,
        client: httpx.AsyncClient,
        legacy_machine: Any,
        signing_keys: KeyStore,
        settings: Settings,
    ) -> None:
        # when the machine asks for every scope it is registered for
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(
                legacy_machine["client_id"], f"secret-{legacy_machine['client_id']}"
            ),
        )
        # then the token, its claim and its introspection leave partnership:admin out
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["scope"] == "data:read"
        assert _claims(body["access_token"], signing_keys, settings) == {"data:read"}
        seen = await _introspect(client, legacy_machine, body["access_token"])
        assert (seen["active"], seen["scope"]) == (True, "data:read")

    async def test_asking_for_it_alone_is_invalid_scope(
        self, client: httpx.AsyncClient, legacy_machine: Any
    ) -> None:
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": ADMIN},
            auth=httpx.BasicAuth(
                legacy_machine["client_id"], f"secret-{legacy_machine['client_id']}"
            ),
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"


class TestUserGrants:
    async def test_a_flagged_user_gets_it_in_the_claim_and_introspection(
        self,
        client: httpx.AsyncClient,
        frontend: Any,
        flagged: Any,
        signing_keys: KeyStore,
        settings: Settings,
    ) -> None:
        # when
        tokens = await _admin_tokens(client, frontend)
        # then
        assert tokens["scope"] == f"data:read {ADMIN}"
        assert _claims(tokens["access_token"], signing_keys, settings) == {"data:read", ADMIN}
        for token in (tokens["access_token"], tokens["refresh_token"]):
            seen = await _introspect(client, frontend, token)
            assert (seen["active"], seen["scope"]) == (True, f"data:read {ADMIN}")

    async def test_a_user_unflagged_since_refreshes_without_it(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        frontend: Any,
        flagged: Any,
        signing_keys: KeyStore,
        settings: Settings,
    ) -> None:
        # given tokens issued while the user was flagged, then the flag is taken away
        tokens = await _admin_tokens(client, frontend)
        await _unflag(conn, flagged)
        # then the older tokens are introspected as they hold now
        for token in (tokens["access_token"], tokens["refresh_token"]):
            seen = await _introspect(client, frontend, token)
            assert (seen["active"], seen["scope"]) == (True, "data:read")
        # and the API does not honour the old access token's claim
        viewer = await gql(client, VIEWER, headers=bearer(tokens["access_token"]))
        assert viewer["data"]["viewer"]["scopes"] == ["data:read"]
        # when the refresh token is used
        response = await _refresh(client, frontend, tokens["refresh_token"])
        # then the new pair lacks the scope, in the answer, the JWT and the stored refresh token
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["scope"] == "data:read"
        assert _claims(body["access_token"], signing_keys, settings) == {"data:read"}
        seen = await _introspect(client, frontend, body["refresh_token"])
        assert seen["scope"] == "data:read"

    async def test_an_unflagged_user_never_gets_it(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, flagged: Any
    ) -> None:
        await _unflag(conn, flagged)
        tokens = await _admin_tokens(client, frontend)
        assert tokens["scope"] == "data:read"


class TestOldTokens:
    """Tokens signed by us that carry the scope for someone not entitled to it."""

    async def test_a_machine_token_with_the_claim_has_no_admin_power(
        self, client: httpx.AsyncClient, legacy_machine: Any, signing_keys: KeyStore
    ) -> None:
        token = token_for(signing_keys, client=legacy_machine, scopes=("data:read", ADMIN))
        viewer = await gql(client, VIEWER, headers=bearer(token))
        assert viewer["data"]["viewer"] == {
            "kind": "CLIENT",
            "scopes": ["data:read"],
            "isPartnershipAdmin": False,
        }
        refused = await gql(client, ORGANISATION_CREATE, headers=bearer(token))
        assert refused["data"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async def test_an_unflagged_users_token_with_the_claim_has_no_admin_power(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        frontend: Any,
        signing_keys: KeyStore,
    ) -> None:
        user = await f.create_user(conn)
        token = token_for(signing_keys, client=frontend, user=user, scopes=("data:read", ADMIN))
        viewer = await gql(client, VIEWER, headers=bearer(token))
        assert viewer["data"]["viewer"]["scopes"] == ["data:read"]
        refused = await gql(client, ORGANISATION_CREATE, headers=bearer(token))
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
