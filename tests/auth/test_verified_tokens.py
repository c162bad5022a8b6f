"""The remembered signature checks of the bearer middleware (auth.tokens.VerifiedTokens):
only signatures are remembered; expiry, issuer and audience are checked on every use, and a
change of the key set (a rotation, a dropped key after a leak) checks every token again."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.auth.keys import KeyStore, new_key
from lnob_api.auth.tokens import InvalidToken, VerifiedTokens, issue_access_token

ISSUER, AUDIENCE = "http://testserver", "lnob-api"


def _token(keys: KeyStore, *, now: int | None = None, ttl: int = 300) -> str:
    token, _ = issue_access_token(
        keys,
        issuer=ISSUER,
        audience=AUDIENCE,
        subject="client-1",
        client_id="client-1",
        scopes=["data:read"],
        ttl=ttl,
        now=now,
    )
    return token


def test_a_remembered_token_still_expires() -> None:
    keys = KeyStore([new_key()])
    verified = VerifiedTokens()
    now = int(time.time())
    token = _token(keys, now=now, ttl=60)
    assert verified.validate(token, keys, issuer=ISSUER, audience=AUDIENCE, now=now).jti
    assert len(verified) == 1
    with pytest.raises(InvalidToken, match="expired"):
        verified.validate(token, keys, issuer=ISSUER, audience=AUDIENCE, now=now + 3600)
    assert len(verified) == 0  # and forgotten


def test_issuer_and_audience_are_checked_on_every_use() -> None:
    keys = KeyStore([new_key()])
    verified = VerifiedTokens()
    token = _token(keys)
    verified.validate(token, keys, issuer=ISSUER, audience=AUDIENCE)
    with pytest.raises(InvalidToken, match="audience"):
        verified.validate(token, keys, issuer=ISSUER, audience="another-api")
    with pytest.raises(InvalidToken, match="issuer"):
        verified.validate(token, keys, issuer="http://elsewhere", audience=AUDIENCE)


def test_a_dropped_key_is_not_remembered() -> None:
    # given a token verified and remembered
    old = new_key()
    keys = KeyStore([old])
    verified = VerifiedTokens()
    token = _token(keys)
    verified.validate(token, keys, issuer=ISSUER, audience=AUDIENCE)
    # when its key is dropped (rotation with --keep-old-for 0 after a leak)
    rotated = KeyStore([new_key()])
    # then the remembered check does not stand
    with pytest.raises(InvalidToken, match="unknown key"):
        verified.validate(token, rotated, issuer=ISSUER, audience=AUDIENCE)
    # and a rotation that keeps the old key verifying checks it again, and accepts it
    kept = KeyStore([old, new_key(time.time() + 1)])
    assert verified.validate(token, kept, issuer=ISSUER, audience=AUDIENCE).client_id


def test_a_tampered_token_is_never_remembered() -> None:
    keys = KeyStore([new_key()])
    verified = VerifiedTokens()
    head, body, signature = _token(keys).split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    for _ in range(2):
        with pytest.raises(InvalidToken):
            verified.validate(forged, keys, issuer=ISSUER, audience=AUDIENCE)
    assert len(verified) == 0


def test_bounded() -> None:
    keys = KeyStore([new_key()])
    verified = VerifiedTokens(size=3)
    tokens = [_token(keys) for _ in range(5)]
    for token in tokens:
        verified.validate(token, keys, issuer=ISSUER, audience=AUDIENCE)
    assert len(verified) == 3
    # the forgotten ones verify again, as any token would
    assert verified.validate(tokens[0], keys, issuer=ISSUER, audience=AUDIENCE).jti
    # and a size of 0 remembers nothing
    off = VerifiedTokens(size=0)
    assert off.validate(tokens[0], keys, issuer=ISSUER, audience=AUDIENCE).jti
    assert len(off) == 0


async def test_the_middleware_accepts_a_token_again_and_refuses_an_expired_one(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given a client token sent twice (the second time its signature check is remembered)
    org = await f.create_organisation(conn)
    machine = await f.create_client(conn, org)
    token = token_for(signing_keys, client=machine)
    query = {"query": "{ viewer { kind } }"}
    for _ in range(2):
        response = await client.post("/graphql", json=query, headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.json()["data"]["viewer"]["kind"] == "CLIENT"
    # then an expired token is refused, however often it is sent
    expired = token_for(signing_keys, client=machine, ttl=5, now=int(time.time()) - 400)
    for _ in range(2):
        refused = await client.post("/graphql", json=query, headers=bearer(expired))
        assert refused.status_code == 401
        assert "expired" in refused.headers["www-authenticate"]
