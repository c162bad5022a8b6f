"""Bearer tokens on the API (RFC 6750): every bad token is a 401, never anonymous."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import OctKey
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.auth.tokens import issue_access_token, user_subject

QUERY = {"query": "{ coalitions { totalCount } }"}


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _sign(keys: KeyStore, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    signing = keys.signing
    head = {"alg": "ES256", "typ": "at+jwt", "kid": signing.kid} | (header or {})
    return jwt.encode(head, claims, signing.key, algorithms=["ES256"])


@pytest.fixture
async def principal_rows(conn: AsyncConnection) -> dict[str, Any]:
    org = await f.create_organisation(conn)
    client = await f.create_client(conn, org)
    user = await f.create_user(conn)
    return {"org": org, "client": client, "user": user}


def _claims(rows: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": "http://testserver",
        "aud": "lnob-api",
        "sub": user_subject(rows["user"]["id"]),
        "client_id": rows["client"]["client_id"],
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": f"jti-{now}",
        "scope": "data:read",
    } | overrides


async def _assert_401(client: httpx.AsyncClient, token: str, reason_part: str) -> None:
    response = await client.post("/graphql", json=QUERY, headers=bearer(token))
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'error="invalid_token"' in challenge
    assert reason_part in response.json()["error_description"]
    assert reason_part in challenge


class TestGoodTokens:
    async def test_no_token_is_anonymous(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=QUERY)
        assert response.status_code == 200
        assert response.json()["data"]["coalitions"]["totalCount"] == 7

    async def test_user_token_is_accepted(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        token = token_for(
            signing_keys, client=principal_rows["client"], user=principal_rows["user"]
        )
        response = await client.post("/graphql", json=QUERY, headers=bearer(token))
        assert response.status_code == 200

    async def test_client_token_is_accepted(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        token = token_for(signing_keys, client=principal_rows["client"])
        response = await client.post("/graphql", json=QUERY, headers=bearer(token))
        assert response.status_code == 200


_NOW = int(time.time())

# RFC 7519 §2: exp, nbf and iat are JSON numbers; anything else is refused with 401.
TIME_CLAIM_CASES = [
    pytest.param({"exp": str(_NOW + 300)}, "'exp' claim is not a number", id="exp-string"),
    pytest.param({"exp": True}, "'exp' claim is not a number", id="exp-true"),
    pytest.param({"exp": None}, "'exp' claim is not a number", id="exp-null"),
    pytest.param({"exp": [_NOW + 300]}, "'exp' claim is not a number", id="exp-list"),
    pytest.param({"exp": 2**70}, "'exp' claim is not a plausible date", id="exp-2^70"),
    pytest.param({"exp": -1}, "'exp' claim is not a plausible date", id="exp-negative"),
    pytest.param({"exp": _NOW + 10 * 86_400}, "lifetime longer", id="exp-ten-days"),
    pytest.param({"nbf": str(_NOW)}, "'nbf' claim is not a number", id="nbf-string"),
    pytest.param({"nbf": False}, "'nbf' claim is not a number", id="nbf-false"),
    pytest.param({"iat": str(_NOW)}, "'iat' claim is not a number", id="iat-string"),
    pytest.param({"iat": True}, "'iat' claim is not a number", id="iat-true"),
    pytest.param({"iat": 1e400}, "'iat' claim is not a plausible date", id="iat-infinite"),
]


class TestTimeClaims:
    @pytest.mark.parametrize(("overrides", "reason"), TIME_CLAIM_CASES)
    async def test_non_numeric_or_absurd_times_are_401(
        self,
        client: httpx.AsyncClient,
        signing_keys: KeyStore,
        principal_rows: dict[str, Any],
        overrides: dict[str, Any],
        reason: str,
    ) -> None:
        # given a correctly signed token whose time claim is not a NumericDate
        token = _sign(signing_keys, _claims(principal_rows, **overrides))
        # then
        await _assert_401(client, token, reason)

    @pytest.mark.parametrize("name", ["exp", "iat"])
    async def test_missing_exp_or_iat_is_401(
        self,
        client: httpx.AsyncClient,
        signing_keys: KeyStore,
        principal_rows: dict[str, Any],
        name: str,
    ) -> None:
        claims = _claims(principal_rows)
        del claims[name]
        await _assert_401(client, _sign(signing_keys, claims), f"no {name!r} claim")

    async def test_fractional_seconds_are_a_number(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        # NumericDate may hold fractions of a second
        now = time.time()
        claims = _claims(principal_rows, iat=now, nbf=now, exp=now + 300.5)
        response = await client.post(
            "/graphql", json=QUERY, headers=bearer(_sign(signing_keys, claims))
        )
        assert response.status_code == 200, response.text


class TestBadTokens:
    async def test_malformed(self, client: httpx.AsyncClient) -> None:
        await _assert_401(client, "not-a-jwt", "not a JWT")

    async def test_not_bearer_scheme(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json=QUERY, headers={"Authorization": "Basic abc"})
        assert response.status_code == 401
        assert "Bearer" in response.headers["www-authenticate"]

    async def test_expired(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        past = int(time.time()) - 3600
        await _assert_401(
            client,
            _sign(signing_keys, _claims(principal_rows, iat=past, nbf=past, exp=past + 60)),
            "expired",
        )

    async def test_not_yet_valid(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        future = int(time.time()) + 3600
        await _assert_401(
            client,
            _sign(signing_keys, _claims(principal_rows, nbf=future, iat=future)),
            "not valid yet",
        )

    async def test_wrong_issuer(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        await _assert_401(
            client, _sign(signing_keys, _claims(principal_rows, iss="http://evil")), "issuer"
        )

    async def test_wrong_audience(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        await _assert_401(
            client, _sign(signing_keys, _claims(principal_rows, aud="other-api")), "audience"
        )

    async def test_missing_jti(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        claims = _claims(principal_rows)
        del claims["jti"]
        await _assert_401(client, _sign(signing_keys, claims), "jti")

    async def test_unknown_kid(
        self, client: httpx.AsyncClient, principal_rows: dict[str, Any]
    ) -> None:
        stranger = KeyStore([new_key()])
        await _assert_401(client, _sign(stranger, _claims(principal_rows)), "unknown key")

    async def test_alg_none(
        self, client: httpx.AsyncClient, principal_rows: dict[str, Any]
    ) -> None:
        token = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{_b64(_claims(principal_rows))}."
        await _assert_401(client, token, "invalid")

    async def test_hs256_with_the_public_key(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        public = json.dumps(signing_keys.public_jwks()["keys"][0]).encode()
        token = jwt.encode(
            {"alg": "HS256", "typ": "at+jwt", "kid": signing_keys.signing.kid},
            _claims(principal_rows),
            OctKey.import_key(public),
            algorithms=["HS256"],
        )
        await _assert_401(client, token, "invalid")

    async def test_tampered_payload(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        head, _, sig = _sign(signing_keys, _claims(principal_rows)).split(".")
        forged = _b64(_claims(principal_rows, scope="data:read partnership:admin"))
        await _assert_401(client, f"{head}.{forged}.{sig}", "invalid")

    async def test_missing_typ(
        self, client: httpx.AsyncClient, signing_keys: KeyStore, principal_rows: dict[str, Any]
    ) -> None:
        signing = signing_keys.signing
        token = jwt.encode(
            {"alg": "ES256", "kid": signing.kid},
            _claims(principal_rows),
            signing.key,
            algorithms=["ES256"],
        )
        await _assert_401(client, token, "at+jwt")

    async def test_revoked_jti(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
        principal_rows: dict[str, Any],
    ) -> None:
        claims = _claims(principal_rows, jti="revoke-me")
        await conn.execute(
            sa.insert(models.RevokedToken.__table__).values(
                jti="revoke-me", expires_at=sa.func.now()
            )
        )
        await _assert_401(client, _sign(signing_keys, claims), "revoked")

    async def test_revoked_client(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
        principal_rows: dict[str, Any],
    ) -> None:
        await conn.execute(
            sa.update(models.OAuthClient.__table__)
            .where(models.OAuthClient.id == principal_rows["client"]["id"])
            .values(revoked_at=sa.func.now())
        )
        await _assert_401(
            client, token_for(signing_keys, client=principal_rows["client"]), "client"
        )

    async def test_inactive_user(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
        principal_rows: dict[str, Any],
    ) -> None:
        await conn.execute(
            sa.update(models.User.__table__)
            .where(models.User.id == principal_rows["user"]["id"])
            .values(is_active=False)
        )
        token = token_for(
            signing_keys, client=principal_rows["client"], user=principal_rows["user"]
        )
        await _assert_401(client, token, "no longer active")

    async def test_rotated_key_still_verifies_old_tokens(
        self, conn: AsyncConnection, settings: Any, principal_rows: dict[str, Any]
    ) -> None:
        # given a token signed before a rotation
        from lnob_api.app import create_app
        from lnob_api.db.request import ConnectionDatabase

        keys = KeyStore([new_key()])
        old, _ = issue_access_token(
            keys,
            issuer="http://testserver",
            audience="lnob-api",
            subject=principal_rows["client"]["client_id"],
            client_id=principal_rows["client"]["client_id"],
            scopes=["data:read"],
            ttl=300,
        )
        keys.rotate(keep_old_for=300)
        new = token_for(keys, client=principal_rows["client"])
        app = create_app(settings, database=ConnectionDatabase(conn), keys=keys)
        # when / then both the old and the new token work, and they name different keys
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c:
            for token in (old, new):
                assert (
                    await c.post("/graphql", json=QUERY, headers=bearer(token))
                ).status_code == 200
        assert (
            json.loads(base64.urlsafe_b64decode(old.split(".")[0] + "=="))["kid"]
            != keys.signing.kid
        )
        # and once the old key retires, its tokens fail
        expired_store = KeyStore.from_json(json.dumps(keys.to_json()), now=time.time() + 301)
        assert expired_store.kids == [keys.signing.kid]
