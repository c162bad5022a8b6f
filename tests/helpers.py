"""Helpers for calling the API in tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from lnob_api.auth.principal import Principal


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL request and return the decoded body (asserting HTTP 200)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def with_principal(app: Any, principal: Principal) -> Any:
    """Wrap the ASGI app so every request runs as ``principal`` (until tokens exist in tests)."""

    async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = dict(scope)
            scope["state"] = dict(scope.get("state") or {}) | {"principal": principal}
        await app(scope, receive, send)

    return wrapped


def principal_client(app: Any, principal: Principal) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=with_principal(app, principal))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def examples(share: float = 1.0, *, least: int = 1) -> int:
    """A property test's number of examples: ``share`` of the loaded hypothesis profile's
    (tests/conftest.py: ``ci`` by default, ``long`` for the full runs), at least ``least``."""
    from hypothesis import settings

    return max(least, round(settings().max_examples * share))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(
    keys: Any,
    *,
    client: Any,
    user: Any | None = None,
    scopes: tuple[str, ...] = ("data:read",),
    issuer: str = "http://testserver",
    audience: str = "lnob-api",
    ttl: int = 300,
    now: int | None = None,
) -> str:
    """A real signed access token for ``client`` (acting for ``user`` when given)."""
    from lnob_api.auth.tokens import issue_access_token, user_subject

    subject = user_subject(user["id"]) if user is not None else client["client_id"]
    token, _ = issue_access_token(
        keys,
        issuer=issuer,
        audience=audience,
        subject=subject,
        client_id=client["client_id"],
        scopes=scopes,
        ttl=ttl,
        now=now,
    )
    return token


async def until(condition: Any, limit: float = 10.0, step: float = 0.02) -> None:
    """Wait for ``condition()`` to hold (a bound on a hang, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(step)
