"""The operator's account actions take effect at once, through real tokens and the real
sign-in: disabling stops live access and refresh tokens, a new password replaces the old one
and signs apps out, unlocking lifts the sign-in delays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from tests import factories as f
from tests.helpers import bearer, token_for
from tests.http.test_oauth_authorize import (
    PASSWORD,
    _exchange,
    _params,
    _pkce,
    _query,
    _refresh,
    _sign_in,
)

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.secrets import hash_password
from lnob_api.cli_admin.common import OPERATOR
from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.http import oauth
from lnob_api.user import account

VIEWER = {"query": "{ viewer { kind email } }"}
EMAIL = "amina@example.org"


@pytest.fixture(autouse=True)
def _no_failure_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oauth, "FAILURE_DELAY_SECONDS", 0)


@pytest.fixture
async def session(conn: AsyncConnection) -> AsyncIterator[AsyncSession]:
    s = AsyncSession(bind=conn)
    yield s
    await s.close()


@pytest.fixture
async def frontend(conn: AsyncConnection) -> Any:
    organisation = await f.create_organisation(conn)
    return await f.create_client(
        conn,
        organisation,
        secret_hash=None,
        token_endpoint_auth_method="none",
        scopes=["data:read"],
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=["http://127.0.0.1:9999/callback"],
    )


@pytest.fixture
async def user(conn: AsyncConnection) -> Any:
    return await f.create_user(conn, email=EMAIL, password_hash=hash_password(PASSWORD))


async def _signed_in(http: httpx.AsyncClient, frontend: Any, password: str = PASSWORD) -> Any:
    verifier, challenge = _pkce()
    redirect = await _sign_in(http, _params(frontend, challenge), password=password)
    if redirect.status_code != 302:
        return None
    response = await _exchange(http, frontend, _query(redirect)["code"][0], verifier)
    assert response.status_code == 200, response.text
    return response.json()


class TestDisable:
    async def test_live_tokens_stop_working_at_once(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        frontend: Any,
        user: Any,
        signing_keys: KeyStore,
    ) -> None:
        # given a signed-in user with a live access token and a refresh token
        tokens = await _signed_in(client, frontend)
        other = token_for(signing_keys, client=frontend, user=user)
        ok = await client.post("/graphql", json=VIEWER, headers=bearer(tokens["access_token"]))
        assert ok.json()["data"]["viewer"]["email"] == EMAIL
        # when the operator disables the user
        change = await account.disable(session, OPERATOR, email=EMAIL)
        # then every token is refused on the next request, and so are refresh and sign-in
        assert change.refresh_tokens_revoked == 1
        for token in (tokens["access_token"], other):
            refused = await client.post("/graphql", json=VIEWER, headers=bearer(token))
            assert refused.status_code == 401
            assert "no longer active" in refused.json()["error_description"]
        refreshed = await _refresh(client, frontend, tokens["refresh_token"])
        assert refreshed.json()["error"] == "invalid_grant"
        assert await _signed_in(client, frontend) is None
        # when enabled again, the user signs in anew, but the old refresh token stays dead
        await account.enable(session, OPERATOR, email=EMAIL)
        assert await _signed_in(client, frontend) is not None
        again = await _refresh(client, frontend, tokens["refresh_token"])
        assert again.json()["error"] == "invalid_grant"

    async def test_twice_is_a_conflict(self, session: AsyncSession, user: Any) -> None:
        await account.disable(session, OPERATOR, email=EMAIL)
        with pytest.raises(Conflict, match="already disabled"):
            await account.disable(session, OPERATOR, email=EMAIL.upper())

    async def test_an_unknown_user_is_not_found(self, session: AsyncSession) -> None:
        with pytest.raises(NotFound, match="no user with e-mail"):
            await account.disable(session, OPERATOR, email="nobody@example.org")


class TestSetPassword:
    async def test_the_new_password_replaces_the_old_and_signs_apps_out(
        self, client: httpx.AsyncClient, session: AsyncSession, frontend: Any, user: Any
    ) -> None:
        # given
        tokens = await _signed_in(client, frontend)
        # when
        change = await account.set_password(
            session, OPERATOR, email=EMAIL, password="a brand new passphrase"
        )
        # then
        assert change.refresh_tokens_revoked == 1
        assert await _signed_in(client, frontend) is None
        assert await _signed_in(client, frontend, "a brand new passphrase") is not None
        refreshed = await _refresh(client, frontend, tokens["refresh_token"])
        assert refreshed.json()["error"] == "invalid_grant"

    async def test_a_short_password_is_refused(self, session: AsyncSession, user: Any) -> None:
        with pytest.raises(InvalidInput, match="at least 10 characters"):
            await account.set_password(session, OPERATOR, email=EMAIL, password="short")


class TestUnlock:
    async def test_delays_are_lifted_on_every_address(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        session: AsyncSession,
        frontend: Any,
        user: Any,
    ) -> None:
        # given failed passwords until the next attempt must wait
        _, challenge = _pkce()
        for _ in range(4):
            await _sign_in(client, _params(frontend, challenge), password="wrong password")
        early = await _sign_in(client, _params(frontend, challenge))
        assert early.status_code == 429
        # when
        change = await account.unlock(session, OPERATOR, email=EMAIL)
        # then the owner signs in at once, and the audit log says who lifted what
        assert change.delays_lifted == 2  # this address and the account-wide count
        assert await _signed_in(client, frontend) is not None
        event = (
            (
                await conn.execute(
                    sa.select(models.AuditEvent.__table__).where(
                        models.AuditEvent.action == "user.unlock"
                    )
                )
            )
            .mappings()
            .one()
        )
        assert (event["entity_id"], event["client_id"]) == (
            str(user["id"]),
            "lnob-api command line",
        )
        assert event["after"] == {"email": EMAIL, "delays_lifted": 2}
