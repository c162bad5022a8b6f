"""The token endpoint with client credentials, revocation and introspection of access tokens,
and the discovery documents (RFC 6749 §4.4, RFC 7009, RFC 7662, RFC 8414)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata  # type: ignore[import-untyped,unused-ignore]
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.tokens import validate_access_token
from lnob_api.config import Settings


def _basic(client: Any) -> httpx.BasicAuth:
    return httpx.BasicAuth(client["client_id"], f"secret-{client['client_id']}")


def _from(app: Any, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _token(http: httpx.AsyncClient, client: Any, **form: str) -> httpx.Response:
    return await http.post(
        "/oauth/token", data={"grant_type": "client_credentials", **form}, auth=_basic(client)
    )


@pytest.fixture
async def organisation(conn: AsyncConnection) -> Any:
    return await f.create_organisation(conn)


@pytest.fixture
async def machine(conn: AsyncConnection, organisation: Any) -> Any:
    """A statistics office's confidential client allowed to read and write data."""
    return await f.create_client(
        conn,
        organisation,
        scopes=["data:read", "data:write"],
        grant_types=["client_credentials"],
        redirect_uris=[],
    )


class TestClientCredentials:
    async def test_basic_authentication_issues_a_valid_token(
        self,
        client: httpx.AsyncClient,
        machine: Any,
        signing_keys: KeyStore,
        settings: Settings,
    ) -> None:
        # when
        response = await _token(client, machine)
        # then
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == settings.access_token_ttl
        assert body["scope"] == "data:read data:write"
        assert "refresh_token" not in body
        claims = validate_access_token(
            body["access_token"],
            signing_keys,
            issuer=settings.issuer,
            audience=settings.audience,
        )
        assert claims.subject == machine["client_id"]
        assert claims.client_id == machine["client_id"]
        assert claims.scopes == {"data:read", "data:write"}

    async def test_form_authentication(self, client: httpx.AsyncClient, machine: Any) -> None:
        # when
        response = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": machine["client_id"],
                "client_secret": f"secret-{machine['client_id']}",
            },
        )
        # then
        assert response.status_code == 200, response.text
        assert response.json()["token_type"] == "Bearer"

    async def test_wrong_secret_is_invalid_client(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(machine["client_id"], "not-the-secret"),
        )
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic ")

    async def test_wrong_secret_in_the_form_is_invalid_client(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": machine["client_id"],
                "client_secret": "not-the-secret",
            },
        )
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic ")

    async def test_unknown_client_is_invalid_client(self, client: httpx.AsyncClient) -> None:
        # when
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth("nobody", "nothing"),
        )
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_no_authentication_is_invalid_client(self, client: httpx.AsyncClient) -> None:
        # when
        response = await client.post("/oauth/token", data={"grant_type": "client_credentials"})
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_revoked_client_is_invalid_client(
        self, client: httpx.AsyncClient, conn: AsyncConnection, organisation: Any
    ) -> None:
        # given
        revoked = await f.create_client(
            conn, organisation, revoked_at=datetime(2024, 1, 1, tzinfo=UTC)
        )
        # when
        response = await _token(client, revoked)
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_public_client_cannot_use_client_credentials(
        self, client: httpx.AsyncClient, conn: AsyncConnection, organisation: Any
    ) -> None:
        # given
        public = await f.create_client(
            conn, organisation, secret_hash=None, token_endpoint_auth_method="none"
        )
        # when
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": public["client_id"]},
        )
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_grant_type_not_registered_is_unauthorized_client(
        self, client: httpx.AsyncClient, conn: AsyncConnection, organisation: Any
    ) -> None:
        # given
        frontend = await f.create_client(
            conn, organisation, grant_types=["authorization_code", "refresh_token"]
        )
        # when
        response = await _token(client, frontend)
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "unauthorized_client"

    async def test_unsupported_grant_type(self, client: httpx.AsyncClient, machine: Any) -> None:
        # when
        response = await client.post(
            "/oauth/token", data={"grant_type": "password"}, auth=_basic(machine)
        )
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    async def test_repeated_parameter_is_invalid_request(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await client.post(
            "/oauth/token",
            content="grant_type=client_credentials&scope=data:read&scope=data:write",
            headers={"content-type": "application/x-www-form-urlencoded"},
            auth=_basic(machine),
        )
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_get_is_not_allowed(self, client: httpx.AsyncClient) -> None:
        # when
        response = await client.get("/oauth/token")
        # then
        assert response.status_code == 405


class TestSecretGuessing:
    async def test_wrong_secrets_slow_down_that_address_only(
        self, app: Any, conn: AsyncConnection, machine: Any
    ) -> None:
        # given three wrong secrets from one address
        wrong = httpx.BasicAuth(machine["client_id"], "not-the-secret")
        form = {"grant_type": "client_credentials"}
        async with _from(app, "198.51.100.7") as attacker:
            for _ in range(3):
                response = await attacker.post("/oauth/token", data=form, auth=wrong)
                assert response.status_code == 401
            # when the right secret comes from there before the delay is over
            early = await _token(attacker, machine)
        # then it is refused unchecked with 429 and Retry-After
        assert early.status_code == 429
        assert early.json()["error"] == "slow_down"
        assert int(early.headers["retry-after"]) >= 1
        # and the client itself, elsewhere, is not affected
        async with _from(app, "203.0.113.9") as owner:
            assert (await _token(owner, machine)).status_code == 200
        rows = await conn.execute(
            sa.select(models.LoginThrottle.address, models.LoginThrottle.failures).where(
                models.LoginThrottle.account == f"client:{machine['client_id']}"
            )
        )
        # the success elsewhere reset the account-wide count; A's own delay stands
        assert {r.address: r.failures for r in rows} == {"198.51.100.7": 3, "203.0.113.9": 0}


class TestMalformedRequests:
    """Whatever a client sends, the answer is an OAuth error, never a server error."""

    async def test_basic_credentials_that_are_not_utf8(self, client: httpx.AsyncClient) -> None:
        # given
        header = "Basic " + base64.b64encode(b"\xff\xfe:secret").decode()
        # when
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": header},
        )
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    async def test_basic_client_id_with_a_nul(self, client: httpx.AsyncClient) -> None:
        # when
        response = await client.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth("a%00b", "secret"),
        )
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"

    @pytest.mark.parametrize("field", ["grant_type", "client_id", "scope"])
    async def test_quotes_in_parameters(self, client: httpx.AsyncClient, field: str) -> None:
        # given
        data = {"grant_type": "client_credentials", "client_id": "c", field: 'a"b\\'}
        # when
        response = await client.post("/oauth/token", data=data)
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_json_body(self, client: httpx.AsyncClient) -> None:
        # when
        response = await client.post("/oauth/token", json={"grant_type": "client_credentials"})
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    async def test_broken_multipart_body(self, client: httpx.AsyncClient) -> None:
        # when
        response = await client.post(
            "/oauth/token",
            content=b"--xx\r\nbroken",
            headers={"content-type": "multipart/form-data; boundary=xx"},
        )
        # then
        assert response.status_code == 400


class TestScopes:
    async def test_requested_scopes_are_narrowed_to_registered_ones(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await _token(client, machine, scope="data:read coalition:admin")
        # then
        assert response.status_code == 200, response.text
        assert response.json()["scope"] == "data:read"

    async def test_no_scope_requested_gives_the_registered_scopes(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await _token(client, machine)
        # then
        assert response.json()["scope"] == "data:read data:write"

    async def test_only_unregistered_scopes_is_invalid_scope(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await _token(client, machine, scope="partnership:admin")
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"

    async def test_unknown_scope_is_invalid_scope(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await _token(client, machine, scope="data:read everything")
        # then
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_scope"


async def _access_token(http: httpx.AsyncClient, client: Any) -> str:
    response = await _token(http, client)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def _revoked_jtis(conn: AsyncConnection) -> set[str]:
    rows = await conn.execute(sa.select(models.RevokedToken.jti))
    return set(rows.scalars())


class TestRevocation:
    async def test_access_token_jti_is_recorded(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        machine: Any,
        signing_keys: KeyStore,
        settings: Settings,
    ) -> None:
        # given
        token = await _access_token(client, machine)
        claims = validate_access_token(
            token, signing_keys, issuer=settings.issuer, audience=settings.audience
        )
        # when
        response = await client.post("/oauth/revoke", data={"token": token}, auth=_basic(machine))
        # then
        assert response.status_code == 200, response.text
        assert claims.jti in await _revoked_jtis(conn)
        expires = (
            await conn.execute(
                sa.select(models.RevokedToken.expires_at).where(
                    models.RevokedToken.jti == claims.jti
                )
            )
        ).scalar_one()
        assert int(expires.timestamp()) == claims.expires_at

    async def test_revoked_access_token_is_refused_by_the_api(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # given
        token = await _access_token(client, machine)
        await client.post(
            "/oauth/revoke",
            data={"token": token, "token_type_hint": "access_token"},
            auth=_basic(machine),
        )
        # when
        response = await client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        # then
        assert response.status_code == 401

    async def test_unknown_token_is_200(self, client: httpx.AsyncClient, machine: Any) -> None:
        # when
        response = await client.post(
            "/oauth/revoke", data={"token": "no-such-token"}, auth=_basic(machine)
        )
        # then
        assert response.status_code == 200

    async def test_another_clients_token_is_not_revoked(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        machine: Any,
        organisation: Any,
    ) -> None:
        # given
        other = await f.create_client(conn, organisation, grant_types=["client_credentials"])
        token = await _access_token(client, other)
        # when
        response = await client.post("/oauth/revoke", data={"token": token}, auth=_basic(machine))
        # then
        assert response.status_code == 400
        assert await _revoked_jtis(conn) == set()

    async def test_requires_client_authentication(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # given
        token = await _access_token(client, machine)
        # when
        response = await client.post("/oauth/revoke", data={"token": token})
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


class TestIntrospection:
    async def test_active_access_token(
        self, client: httpx.AsyncClient, machine: Any, settings: Settings
    ) -> None:
        # given
        token = await _access_token(client, machine)
        # when
        response = await client.post(
            "/oauth/introspect", data={"token": token}, auth=_basic(machine)
        )
        # then
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["active"] is True
        assert body["client_id"] == machine["client_id"]
        assert body["sub"] == machine["client_id"]
        assert body["scope"] == "data:read data:write"
        assert body["iss"] == settings.issuer
        assert body["aud"] == settings.audience
        assert body["token_type"] == "Bearer"
        assert {"exp", "iat", "jti"} <= body.keys()

    async def test_revoked_access_token_is_inactive(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # given
        token = await _access_token(client, machine)
        await client.post("/oauth/revoke", data={"token": token}, auth=_basic(machine))
        # when
        response = await client.post(
            "/oauth/introspect", data={"token": token}, auth=_basic(machine)
        )
        # then
        assert response.json() == {"active": False}

    async def test_garbage_is_inactive(self, client: httpx.AsyncClient, machine: Any) -> None:
        # when
        response = await client.post(
            "/oauth/introspect", data={"token": "a.b.c"}, auth=_basic(machine)
        )
        # then
        assert response.status_code == 200
        assert response.json() == {"active": False}

    async def test_expired_access_token_is_inactive(
        self,
        client: httpx.AsyncClient,
        machine: Any,
        signing_keys: KeyStore,
        settings: Settings,
    ) -> None:
        # given
        from lnob_api.auth.tokens import issue_access_token

        token, _ = issue_access_token(
            signing_keys,
            issuer=settings.issuer,
            audience=settings.audience,
            subject=machine["client_id"],
            client_id=machine["client_id"],
            scopes=["data:read"],
            ttl=60,
            now=1_600_000_000,
        )
        # when
        response = await client.post(
            "/oauth/introspect", data={"token": token}, auth=_basic(machine)
        )
        # then
        assert response.json() == {"active": False}

    async def test_another_clients_token_is_inactive(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        machine: Any,
        organisation: Any,
    ) -> None:
        # given
        other = await f.create_client(conn, organisation, grant_types=["client_credentials"])
        token = await _access_token(client, other)
        # when
        response = await client.post(
            "/oauth/introspect", data={"token": token}, auth=_basic(machine)
        )
        # then
        assert response.json() == {"active": False}

    async def test_requires_client_authentication(
        self, client: httpx.AsyncClient, machine: Any
    ) -> None:
        # when
        response = await client.post("/oauth/introspect", data={"token": "x"})
        # then
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


class TestDiscovery:
    async def test_authorization_server_metadata(
        self, client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # when
        response = await client.get("/.well-known/oauth-authorization-server")
        # then
        assert response.status_code == 200
        doc = response.json()
        monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the test issuer is plain http
        AuthorizationServerMetadata(doc).validate()
        issuer = settings.issuer
        assert doc["issuer"] == issuer
        assert doc["authorization_endpoint"] == f"{issuer}/oauth/authorize"
        assert doc["token_endpoint"] == f"{issuer}/oauth/token"
        assert doc["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
        assert doc["revocation_endpoint"] == f"{issuer}/oauth/revoke"
        assert doc["introspection_endpoint"] == f"{issuer}/oauth/introspect"
        assert doc["response_types_supported"] == ["code"]
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert set(doc["grant_types_supported"]) == {
            "authorization_code",
            "client_credentials",
            "refresh_token",
        }
        assert set(doc["token_endpoint_auth_methods_supported"]) == {
            "client_secret_basic",
            "client_secret_post",
            "none",
        }
        assert set(doc["scopes_supported"]) == {
            "data:read",
            "data:write",
            "coalition:admin",
            "partnership:admin",
        }

    async def test_jwks_has_the_public_signing_keys(
        self, client: httpx.AsyncClient, signing_keys: KeyStore
    ) -> None:
        # when
        response = await client.get("/.well-known/jwks.json")
        # then
        assert response.status_code == 200
        keys = response.json()["keys"]
        assert [k["kid"] for k in keys] == signing_keys.kids
        assert all("d" not in k for k in keys)
        assert all(k["kty"] == "EC" for k in keys)
