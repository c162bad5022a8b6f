"""Every response carries X-Request-Id; a sane incoming one is kept, anything else replaced."""

from __future__ import annotations

import httpx


async def test_incoming_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": '{ node(id: "%%") { id } }'}, headers={"X-Request-Id": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "abc-123"


async def test_unsafe_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32
