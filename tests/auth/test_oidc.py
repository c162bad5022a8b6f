"""Resource-server mode: tokens of an external OpenID Connect issuer served by the test itself."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from tests import factories as f
from tests.helpers import bearer

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings

VIEWER = {"query": "{ viewer { kind email scopes } }"}
_DROP = object()  # a claim value meaning: leave the claim out


class FakeIssuer:
    """A minimal OIDC provider: discovery document and a JWKS that can rotate."""

    def __init__(self) -> None:
        self.keys = [
            RSAKey.generate_key(2048, parameters={"kid": "kc-1", "alg": "RS256", "use": "sig"})
        ]
        self.jwks_hits = 0
        self.url = ""

    def app(self) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/certs"})

        async def certs(request: Request) -> JSONResponse:
            self.jwks_hits += 1
            return JSONResponse({"keys": [k.as_dict(private=False) for k in self.keys]})

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/certs", certs),
            ]
        )

    def rotate(self) -> None:
        self.keys.append(
            RSAKey.generate_key(
                2048, parameters={"kid": f"kc-{len(self.keys) + 1}", "alg": "RS256"}
            )
        )

    def token(self, *, audience: str = "lnob-api", **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.url,
            "aud": audience,
            "sub": "kc-user-1",
            "iat": now,
            "exp": now + 300,
            "azp": "partner-portal",
            "scope": "openid email data:read",
        } | claims
        body = {k: v for k, v in body.items() if v is not _DROP}
        key = self.keys[-1]
        return jwt.encode(
            {"alg": "RS256", "kid": key.kid, "typ": "JWT"}, body, key, algorithms=["RS256"]
        )


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def issuer() -> AsyncIterator[FakeIssuer]:
    fake = FakeIssuer()
    port = _port()
    fake.url = f"http://127.0.0.1:{port}/realms/lnob"
    # Keycloak-style issuer URL with a path: the provider's routes live under it.
    outer = Starlette()
    outer.mount("/realms/lnob", fake.app())
    server = uvicorn.Server(uvicorn.Config(outer, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(100):
        if server.started:
            break
        await asyncio.sleep(0.05)
    yield fake
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


@pytest.fixture
async def oidc_client(
    conn: AsyncConnection, issuer: FakeIssuer, signing_keys: KeyStore
) -> AsyncIterator[httpx.AsyncClient]:
    from lnob_api.app import create_app
    from lnob_api.db.request import ConnectionDatabase

    settings = Settings(
        env="test", issuer="http://testserver", oidc_issuer=issuer.url, oidc_audience="lnob-api"
    )
    app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


class TestExternalIssuer:
    async def test_token_maps_to_a_user_by_email(
        self, oidc_client: httpx.AsyncClient, conn: AsyncConnection, issuer: FakeIssuer
    ) -> None:
        await f.create_user(conn, email="Wanjiru@Example.org")
        response = await oidc_client.post(
            "/graphql", json=VIEWER, headers=bearer(issuer.token(email="wanjiru@example.org"))
        )
        assert response.status_code == 200, response.text
        viewer = response.json()["data"]["viewer"]
        assert viewer == {"kind": "USER", "email": "Wanjiru@Example.org", "scopes": ["data:read"]}

    async def test_new_signing_key_is_fetched_on_unknown_kid(
        self, oidc_client: httpx.AsyncClient, conn: AsyncConnection, issuer: FakeIssuer
    ) -> None:
        await f.create_user(conn, email="otieno@example.org")
        first = await oidc_client.post(
            "/graphql", json=VIEWER, headers=bearer(issuer.token(email="otieno@example.org"))
        )
        assert first.status_code == 200
        hits = issuer.jwks_hits
        issuer.rotate()
        from lnob_api.auth import oidc

        oidc.REFRESH_INTERVAL = 0.0  # the refetch is rate-limited; allow it now
        try:
            second = await oidc_client.post(
                "/graphql", json=VIEWER, headers=bearer(issuer.token(email="otieno@example.org"))
            )
        finally:
            oidc.REFRESH_INTERVAL = 30.0
        assert second.status_code == 200, second.text
        assert issuer.jwks_hits == hits + 1

    async def test_cached_keys_are_reused(
        self, oidc_client: httpx.AsyncClient, conn: AsyncConnection, issuer: FakeIssuer
    ) -> None:
        await f.create_user(conn, email="akinyi@example.org")
        for _ in range(3):
            ok = await oidc_client.post(
                "/graphql", json=VIEWER, headers=bearer(issuer.token(email="akinyi@example.org"))
            )
            assert ok.status_code == 200
        assert issuer.jwks_hits == 1

    @pytest.mark.parametrize(
        ("claims", "reason"),
        [
            ({"email": "nobody@example.org"}, "not registered"),
            ({"email": "akinyi@example.org", "audience": "someone-else"}, "audience"),
            ({"email": "akinyi@example.org", "exp": 1000, "iat": 900}, "expired"),
            ({}, "'email'"),
        ],
    )
    async def test_rejections_are_401(
        self,
        oidc_client: httpx.AsyncClient,
        conn: AsyncConnection,
        issuer: FakeIssuer,
        claims: dict[str, Any],
        reason: str,
    ) -> None:
        await f.create_user(conn, email="akinyi@example.org")
        response = await oidc_client.post(
            "/graphql", json=VIEWER, headers=bearer(issuer.token(**claims))
        )
        assert response.status_code == 401
        assert reason in response.json()["error_description"]
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    @pytest.mark.parametrize(
        ("claims", "reason"),
        [
            ({"exp": str(int(time.time()) + 300)}, "'exp' claim is not a number"),
            ({"exp": True}, "'exp' claim is not a number"),
            ({"exp": None}, "'exp' claim is not a number"),
            ({"exp": 2**70}, "'exp' claim is not a plausible date"),
            ({"exp": int(time.time()) + 400 * 86_400}, "lifetime longer"),
            ({"nbf": str(int(time.time()))}, "'nbf' claim is not a number"),
            ({"nbf": True}, "'nbf' claim is not a number"),
            ({"iat": str(int(time.time()))}, "'iat' claim is not a number"),
            ({"iat": False}, "'iat' claim is not a number"),
        ],
    )
    async def test_time_claims_must_be_numbers(
        self,
        oidc_client: httpx.AsyncClient,
        conn: AsyncConnection,
        issuer: FakeIssuer,
        claims: dict[str, Any],
        reason: str,
    ) -> None:
        # given a user the token would otherwise name
        await f.create_user(conn, email="akinyi@example.org")
        token = issuer.token(email="akinyi@example.org", **claims)
        # when
        response = await oidc_client.post("/graphql", json=VIEWER, headers=bearer(token))
        # then
        assert response.status_code == 401, response.text
        assert reason in response.json()["error_description"]
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    @pytest.mark.parametrize("name", ["exp", "iat"])
    async def test_missing_time_claims_are_401(
        self, oidc_client: httpx.AsyncClient, issuer: FakeIssuer, name: str
    ) -> None:
        token = issuer.token(email="akinyi@example.org", **{name: _DROP})
        response = await oidc_client.post("/graphql", json=VIEWER, headers=bearer(token))
        assert response.status_code == 401
        assert f"no {name!r} claim" in response.json()["error_description"]

    @pytest.mark.parametrize(("flagged", "scopes"), [(False, ["data:read"]), (True, None)])
    async def test_partnership_admin_follows_the_users_flag(
        self,
        oidc_client: httpx.AsyncClient,
        conn: AsyncConnection,
        issuer: FakeIssuer,
        flagged: bool,
        scopes: list[str] | None,
    ) -> None:
        # given an external token that names partnership:admin
        await f.create_user(conn, email="akinyi@example.org", is_partnership_admin=flagged)
        token = issuer.token(email="akinyi@example.org", scope="openid data:read partnership:admin")
        # when
        response = await oidc_client.post("/graphql", json=VIEWER, headers=bearer(token))
        # then only a flagged user holds it
        assert response.status_code == 200, response.text
        expected = scopes or ["data:read", "partnership:admin"]
        assert sorted(response.json()["data"]["viewer"]["scopes"]) == expected
