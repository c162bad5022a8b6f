"""Helpers for calling the API in tests."""

from __future__ import annotations

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
