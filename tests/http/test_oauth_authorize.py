"""The authorization code flow with PKCE through the sign-in page, and refresh token rotation
(RFC 6749 §4.1 and §6, RFC 7636, RFC 9700)."""

from __future__ import annotations

import html
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped,unused-ignore]
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.secrets import hash_password
from lnob_api.auth.tokens import user_subject, validate_access_token
from lnob_api.config import Settings
from lnob_api.http import oauth

REDIRECT = "http://127.0.0.1:9999/callback"
PASSWORD = "correct horse battery"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


@pytest.fixture(autouse=True)
def _no_failure_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oauth, "FAILURE_DELAY_SECONDS", 0)


@pytest.fixture
async def organisation(conn: AsyncConnection) -> Any:
    return await f.create_organisation(conn)


@pytest.fixture
async def frontend(conn: AsyncConnection, organisation: Any) -> Any:
    """A public browser client: no secret, code flow and refresh tokens."""
    return await f.create_client(
        conn,
        organisation,
        name="Coalition Dashboard",
        secret_hash=None,
        token_endpoint_auth_method="none",
        scopes=["data:read", "data:write", "partnership:admin"],
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT, "http://127.0.0.1:9999/other"],
    )


@pytest.fixture
async def user(conn: AsyncConnection) -> Any:
    return await f.create_user(
        conn, email="Amina@Example.org", password_hash=hash_password(PASSWORD)
    )


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


def _params(client: Any, challenge: str, **overrides: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "data:read",
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    } | overrides


def _form_fields(page: httpx.Response) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page.text)}


async def _sign_in(
    http: httpx.AsyncClient,
    params: dict[str, str],
    *,
    email: str = "amina@example.org",
    password: str = PASSWORD,
    action: str = "allow",
) -> httpx.Response:
    page = await http.get("/oauth/authorize", params=params)
    assert page.status_code == 200, page.text
    form = _form_fields(page) | {"email": email, "password": password, "action": action}
    return await http.post("/oauth/authorize", data=form)


def _from(app: Any, host: str) -> httpx.AsyncClient:
    """A client whose requests come from ``host`` (the throttle counts by address)."""
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _skip_delays(conn: AsyncConnection) -> None:
    """Let the throttle's delays run out at once (instead of waiting in the test)."""
    table = models.LoginThrottle.__table__
    await conn.execute(
        sa.update(table)
        .where(table.c.next_attempt_at.is_not(None))
        .values(next_attempt_at=table.c.next_attempt_at - timedelta(hours=1))
    )


def _query(response: httpx.Response) -> dict[str, list[str]]:
    location = response.headers["location"]
    return parse_qs(urlsplit(location).query)


async def _code(http: httpx.AsyncClient, client: Any, challenge: str, **overrides: str) -> str:
    response = await _sign_in(http, _params(client, challenge, **overrides))
    assert response.status_code == 302, response.text
    code: str = _query(response)["code"][0]
    return code


async def _exchange(
    http: httpx.AsyncClient, client: Any, code: str, verifier: str, **form: str
) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": client["client_id"],
        "code_verifier": verifier,
    }
    return await http.post("/oauth/token", data=data | form)


async def _refresh(http: httpx.AsyncClient, client: Any, token: str) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": token,
            "client_id": client["client_id"],
        },
    )


async def _tokens(http: httpx.AsyncClient, client: Any, user: Any) -> dict[str, Any]:
    verifier, challenge = _pkce()
    code = await _code(http, client, challenge)
    response = await _exchange(http, client, code, verifier)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestAuthorizationPage:
    async def test_renders_the_sign_in_form_with_a_csrf_cookie(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        # when
        page = await client.get("/oauth/authorize", params=_params(frontend, challenge))
        # then
        assert page.status_code == 200
        assert "Coalition Dashboard" in page.text
        assert "data:read" in page.text
        cookie = page.headers["set-cookie"]
        assert "lnob_oauth_csrf=" in cookie
        assert "samesite=strict" in cookie.lower()
        assert "httponly" in cookie.lower()
        assert _form_fields(page)["csrf_token"] == client.cookies["lnob_oauth_csrf"]
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]

    async def test_values_are_escaped(self, client: httpx.AsyncClient, frontend: Any) -> None:
        # given
        _, challenge = _pkce()
        # when
        page = await client.get(
            "/oauth/authorize", params=_params(frontend, challenge, state='"><script>x</script>')
        )
        # then
        assert page.status_code == 200
        assert "<script>" not in page.text
        assert _form_fields(page)["state"] == '"><script>x</script>'

    async def test_other_redirect_uri_is_an_error_page(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        for uri in ("http://evil.example/callback", REDIRECT + "/more", REDIRECT + "?x=1"):
            # when
            page = await client.get(
                "/oauth/authorize", params=_params(frontend, challenge, redirect_uri=uri)
            )
            # then
            assert page.status_code == 400, uri
            assert "location" not in page.headers
            assert "text/html" in page.headers["content-type"]

    async def test_no_redirect_uri_with_several_registered_is_an_error_page(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        params = _params(frontend, challenge)
        del params["redirect_uri"]
        # when
        page = await client.get("/oauth/authorize", params=params)
        # then
        assert page.status_code == 400
        assert "location" not in page.headers

    async def test_quotes_in_the_redirect_uri_are_an_error_page(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        params = _params(frontend, challenge, redirect_uri='http://127.0.0.1:9999/"\\')
        # when
        page = await client.get("/oauth/authorize", params=params)
        # then
        assert page.status_code == 400
        assert "location" not in page.headers

    async def test_unknown_client_is_an_error_page(self, client: httpx.AsyncClient) -> None:
        # given
        _, challenge = _pkce()
        # when
        page = await client.get(
            "/oauth/authorize", params=_params({"client_id": "nobody"}, challenge)
        )
        # then
        assert page.status_code == 400
        assert "location" not in page.headers
        assert "invalid_client" in page.text

    async def test_plain_pkce_is_refused_by_redirect(
        self, client: httpx.AsyncClient, frontend: Any, settings: Settings
    ) -> None:
        # given
        verifier, _ = _pkce()
        params = _params(frontend, verifier, code_challenge_method="plain")
        # when
        response = await client.get("/oauth/authorize", params=params)
        # then
        assert response.status_code == 302
        assert response.headers["location"].startswith(REDIRECT + "?")
        query = _query(response)
        assert query["error"] == ["invalid_request"]
        assert query["state"] == ["st-123"]
        assert query["iss"] == [settings.issuer]

    async def test_missing_challenge_is_refused_by_redirect(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        params = _params(frontend, "")
        del params["code_challenge"], params["code_challenge_method"]
        # when
        response = await client.get("/oauth/authorize", params=params)
        # then
        assert response.status_code == 302
        assert _query(response)["error"] == ["invalid_request"]

    async def test_missing_method_is_refused(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        params = _params(frontend, challenge)
        del params["code_challenge_method"]
        # when
        response = await client.get("/oauth/authorize", params=params)
        # then
        assert _query(response)["error"] == ["invalid_request"]

    async def test_unregistered_scope_only_is_invalid_scope(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        # when
        response = await client.get(
            "/oauth/authorize", params=_params(frontend, challenge, scope="coalition:admin")
        )
        # then
        assert response.status_code == 302
        assert _query(response)["error"] == ["invalid_scope"]


class TestSignIn:
    async def test_redirects_with_code_and_state(
        self, client: httpx.AsyncClient, frontend: Any, user: Any, settings: Settings
    ) -> None:
        # given
        _, challenge = _pkce()
        # when
        response = await _sign_in(client, _params(frontend, challenge))
        # then
        assert response.status_code == 302
        assert response.headers["location"].startswith(REDIRECT + "?")
        query = _query(response)
        assert query["state"] == ["st-123"]
        assert query["iss"] == [settings.issuer]
        assert len(query["code"][0]) >= 40

    async def test_code_is_stored_hashed_with_its_challenge(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        # when
        code = await _code(client, frontend, challenge)
        # then
        row = (await conn.execute(sa.select(models.AuthorizationCode.__table__))).mappings().one()
        assert row["code_hash"] != code
        assert row["code_challenge"] == challenge
        assert row["code_challenge_method"] == "S256"
        # created_at is the start of the test's transaction, so compare with the clock
        assert row["expires_at"] <= datetime.now(UTC) + timedelta(seconds=61)

    async def test_missing_csrf_token_is_400(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        page = await client.get("/oauth/authorize", params=_params(frontend, challenge))
        form = _form_fields(page) | {"email": "amina@example.org", "password": PASSWORD}
        del form["csrf_token"]
        # when
        response = await client.post("/oauth/authorize", data=form)
        # then
        assert response.status_code == 400
        assert "location" not in response.headers

    async def test_csrf_token_without_its_cookie_is_400(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        page = await client.get("/oauth/authorize", params=_params(frontend, challenge))
        form = _form_fields(page) | {"email": "amina@example.org", "password": PASSWORD}
        client.cookies.clear()
        # when
        response = await client.post("/oauth/authorize", data=form)
        # then
        assert response.status_code == 400
        assert "location" not in response.headers

    async def test_wrong_password_shows_the_form_again(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        # when
        response = await _sign_in(client, _params(frontend, challenge), password="wrong password")
        # then
        assert response.status_code == 200
        assert "location" not in response.headers
        assert "not right" in response.text
        assert _form_fields(response)["code_challenge"] == challenge

    async def test_an_early_attempt_is_429_without_checking_the_password(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given three wrong passwords: the third one starts a delay
        _, challenge = _pkce()
        params = _params(frontend, challenge)
        answers = [await _sign_in(client, params, password="wrong password") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert "Wait" not in answers[0].text and "Wait 1 second" in answers[2].text
        # when the right password comes before the delay is over
        early = await _sign_in(client, params)
        # then it is refused unchecked, with Retry-After, and the form is shown again
        assert early.status_code == 429
        assert "location" not in early.headers
        assert "Too many failed sign-ins" in early.text
        assert int(early.headers["retry-after"]) >= 1
        assert _form_fields(early)["code_challenge"] == challenge
        # when the delay is over, the right password works and the count starts again
        await _skip_delays(conn)
        assert (await _sign_in(client, params)).status_code == 302
        assert (await _sign_in(client, params, password="wrong password")).status_code == 200

    async def test_delays_grow_with_each_failure(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        params = _params(frontend, challenge)
        retry_after = []
        for _ in range(6):
            # when a wrong password is tried as soon as it may be, then once more at once
            await _skip_delays(conn)
            await _sign_in(client, params, password="wrong password")
            early = await _sign_in(client, params, password="wrong password")
            retry_after.append(int(early.headers["retry-after"]) if early.status_code == 429 else 0)
        # then the first failures are free, then each wait doubles
        assert retry_after == [0, 1, 2, 4, 8, 16]

    async def test_an_attacker_elsewhere_cannot_keep_the_owner_out(
        self, app: Any, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given an attacker at address A who keeps guessing the owner's password
        _, challenge = _pkce()
        params = _params(frontend, challenge)
        async with _from(app, "198.51.100.7") as attacker:
            for _ in range(8):
                await _skip_delays(conn)
                await _sign_in(attacker, params, password="guess")
            blocked = await _sign_in(attacker, params)
            assert blocked.status_code == 429  # even the right password, from A, for now
        # when the owner signs in from address B
        async with _from(app, "203.0.113.9") as owner:
            response = await _sign_in(owner, params)
        # then
        assert response.status_code == 302, response.text
        assert "code" in _query(response)

    async def test_unknown_email_is_refused_like_a_wrong_password(
        self, client: httpx.AsyncClient, frontend: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        # when
        response = await _sign_in(client, _params(frontend, challenge), email="who@example.org")
        # then
        assert response.status_code == 200
        assert "not right" in response.text

    async def test_inactive_user_cannot_sign_in(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any
    ) -> None:
        # given
        await f.create_user(
            conn, email="gone@example.org", password_hash=hash_password(PASSWORD), is_active=False
        )
        _, challenge = _pkce()
        # when
        response = await _sign_in(client, _params(frontend, challenge), email="gone@example.org")
        # then
        assert response.status_code == 200
        assert "not right" in response.text

    async def test_deny_redirects_with_access_denied(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        # when
        response = await _sign_in(client, _params(frontend, challenge), action="deny")
        # then
        assert response.status_code == 302
        assert _query(response)["error"] == ["access_denied"]
        assert _query(response)["state"] == ["st-123"]


class TestCodeExchange:
    async def test_end_to_end_with_pkce(
        self,
        client: httpx.AsyncClient,
        frontend: Any,
        user: Any,
        signing_keys: KeyStore,
        settings: Settings,
    ) -> None:
        # given
        verifier, challenge = _pkce()
        code = await _code(client, frontend, challenge)
        # when
        response = await _exchange(client, frontend, code, verifier)
        # then
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["scope"] == "data:read"
        assert body["refresh_token"]
        claims = validate_access_token(
            body["access_token"], signing_keys, issuer=settings.issuer, audience=settings.audience
        )
        assert claims.subject == user_subject(user["id"])
        assert claims.client_id == frontend["client_id"]
        assert claims.scopes == {"data:read"}

    async def test_confidential_client_authenticates_too(
        self, client: httpx.AsyncClient, conn: AsyncConnection, organisation: Any, user: Any
    ) -> None:
        # given
        portal = await f.create_client(conn, organisation, redirect_uris=[REDIRECT])
        verifier, challenge = _pkce()
        code = await _code(client, portal, challenge)
        secret = f"secret-{portal['client_id']}"
        # when
        unauthenticated = await _exchange(client, portal, code, verifier)
        code = await _code(client, portal, challenge)
        authenticated = await _exchange(client, portal, code, verifier, client_secret=secret)
        # then
        assert unauthenticated.status_code == 401
        assert authenticated.status_code == 200, authenticated.text

    async def test_wrong_verifier_fails(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        other_verifier, _ = _pkce()
        code = await _code(client, frontend, challenge)
        # when
        response = await _exchange(client, frontend, code, other_verifier)
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"

    async def test_missing_verifier_fails(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        _, challenge = _pkce()
        code = await _code(client, frontend, challenge)
        # when
        response = await client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": frontend["client_id"],
            },
        )
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_code_reuse_fails_and_revokes_its_refresh_token(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        verifier, challenge = _pkce()
        code = await _code(client, frontend, challenge)
        first = await _exchange(client, frontend, code, verifier)
        # when
        second = await _exchange(client, frontend, code, verifier)
        # then
        assert first.status_code == 200
        assert second.status_code == 400
        assert second.json()["error"] == "invalid_grant"
        refreshed = await _refresh(client, frontend, first.json()["refresh_token"])
        assert refreshed.json()["error"] == "invalid_grant"

    async def test_other_redirect_uri_fails(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        verifier, challenge = _pkce()
        code = await _code(client, frontend, challenge)
        # when
        response = await _exchange(
            client, frontend, code, verifier, redirect_uri="http://127.0.0.1:9999/other"
        )
        # then
        assert response.json()["error"] == "invalid_grant"

    async def test_expired_code_fails(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given
        verifier, challenge = _pkce()
        code = await _code(client, frontend, challenge)
        await conn.execute(
            sa.update(models.AuthorizationCode.__table__).values(
                expires_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
        # when
        response = await _exchange(client, frontend, code, verifier)
        # then
        assert response.json()["error"] == "invalid_grant"

    async def test_code_of_another_client_fails(
        self, client: httpx.AsyncClient, conn: AsyncConnection, organisation: Any, user: Any
    ) -> None:
        # given
        verifier, challenge = _pkce()
        code = await _code(client, await _public(conn, organisation), challenge)
        thief = await _public(conn, organisation)
        # when
        response = await _exchange(client, thief, code, verifier)
        # then
        assert response.json()["error"] == "invalid_grant"


async def _public(conn: AsyncConnection, organisation: Any) -> Any:
    return await f.create_client(
        conn,
        organisation,
        secret_hash=None,
        token_endpoint_auth_method="none",
        scopes=["data:read"],
        grant_types=["authorization_code", "refresh_token"],
        redirect_uris=[REDIRECT],
    )


class TestUserScopes:
    async def test_partnership_admin_is_dropped_for_other_users(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        verifier, challenge = _pkce()
        code = await _code(client, frontend, challenge, scope="data:read partnership:admin")
        # when
        response = await _exchange(client, frontend, code, verifier)
        # then
        assert response.json()["scope"] == "data:read"

    async def test_partnership_admin_is_granted_to_admins(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any
    ) -> None:
        # given
        await f.create_user(
            conn,
            email="admin@example.org",
            password_hash=hash_password(PASSWORD),
            is_partnership_admin=True,
        )
        verifier, challenge = _pkce()
        params = _params(frontend, challenge, scope="data:read partnership:admin")
        redirect = await _sign_in(client, params, email="admin@example.org")
        # when
        response = await _exchange(client, frontend, _query(redirect)["code"][0], verifier)
        # then
        assert response.json()["scope"] == "data:read partnership:admin"

    async def test_no_scope_requested_gives_the_clients_scopes(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        verifier, challenge = _pkce()
        params = _params(frontend, challenge)
        del params["scope"]
        redirect = await _sign_in(client, params)
        # when
        response = await _exchange(client, frontend, _query(redirect)["code"][0], verifier)
        # then
        assert response.json()["scope"] == "data:read data:write"


class TestRefreshRotation:
    async def test_refresh_issues_a_new_pair(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        first = await _tokens(client, frontend, user)
        # when
        response = await _refresh(client, frontend, first["refresh_token"])
        # then
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["refresh_token"] != first["refresh_token"]
        assert body["access_token"] != first["access_token"]
        assert body["scope"] == "data:read"
        again = await _refresh(client, frontend, body["refresh_token"])
        assert again.status_code == 200, again.text

    async def test_reused_refresh_token_kills_the_family(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        first = await _tokens(client, frontend, user)
        rotated = (await _refresh(client, frontend, first["refresh_token"])).json()
        # when
        replay = await _refresh(client, frontend, first["refresh_token"])
        # then
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_grant"
        after = await _refresh(client, frontend, rotated["refresh_token"])
        assert after.status_code == 400
        assert after.json()["error"] == "invalid_grant"

    async def test_refresh_token_of_another_client_fails(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given
        tokens = await _tokens(client, frontend, user)
        other = await _public(conn, await f.create_organisation(conn))
        # when
        response = await _refresh(client, other, tokens["refresh_token"])
        # then
        assert response.json()["error"] == "invalid_grant"

    async def test_deactivated_user_cannot_refresh(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given
        tokens = await _tokens(client, frontend, user)
        await conn.execute(
            sa.update(models.User.__table__)
            .where(models.User.id == user["id"])
            .values(is_active=False)
        )
        # when
        response = await _refresh(client, frontend, tokens["refresh_token"])
        # then
        assert response.json()["error"] == "invalid_grant"

    async def test_refresh_tokens_are_stored_hashed(
        self, client: httpx.AsyncClient, conn: AsyncConnection, frontend: Any, user: Any
    ) -> None:
        # given
        tokens = await _tokens(client, frontend, user)
        # when
        rows = (await conn.execute(sa.select(models.RefreshToken.__table__))).mappings().all()
        # then
        assert len(rows) == 1
        assert rows[0]["token_hash"] != tokens["refresh_token"]
        assert rows[0]["user_id"] == user["id"]


class TestRefreshRevocationAndIntrospection:
    async def test_revoked_refresh_token_no_longer_works(
        self, client: httpx.AsyncClient, frontend: Any, user: Any
    ) -> None:
        # given
        tokens = await _tokens(client, frontend, user)
        # when
        revoked = await client.post(
            "/oauth/revoke",
            data={
                "token": tokens["refresh_token"],
                "token_type_hint": "refresh_token",
                "client_id": frontend["client_id"],
            },
        )
        # then
        assert revoked.status_code == 200, revoked.text
        response = await _refresh(client, frontend, tokens["refresh_token"])
        assert response.json()["error"] == "invalid_grant"

    async def test_introspection_of_a_refresh_token(
        self, client: httpx.AsyncClient, conn: AsyncConnection, organisation: Any, user: Any
    ) -> None:
        # given
        portal = await f.create_client(conn, organisation, redirect_uris=[REDIRECT])
        auth = httpx.BasicAuth(portal["client_id"], f"secret-{portal['client_id']}")
        verifier, challenge = _pkce()
        code = await _code(client, portal, challenge)
        tokens = (
            await client.post(
                "/oauth/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": REDIRECT,
                    "code_verifier": verifier,
                },
                auth=auth,
            )
        ).json()
        # when
        active = await client.post(
            "/oauth/introspect", data={"token": tokens["refresh_token"]}, auth=auth
        )
        await client.post("/oauth/revoke", data={"token": tokens["refresh_token"]}, auth=auth)
        inactive = await client.post(
            "/oauth/introspect", data={"token": tokens["refresh_token"]}, auth=auth
        )
        # then
        body = active.json()
        assert body["active"] is True
        assert body["token_type"] == "refresh_token"
        assert body["sub"] == user_subject(user["id"])
        assert body["client_id"] == portal["client_id"]
        assert inactive.json() == {"active": False}
