"""Every response carries X-Request-Id; a sane incoming one is kept, anything else replaced."""

from __future__ import annotations

import uuid

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


async def test_made_up_ids_are_random_version_4_uuids(client: httpx.AsyncClient) -> None:
    # when: requests without an id of their own
    ids = [(await client.get("/healthz")).headers["x-request-id"] for _ in range(20)]
    # then: each a distinct UUID 4 in hex, as uuid.uuid4().hex writes one
    made = [uuid.UUID(hex=i) for i in ids]
    assert len(set(ids)) == len(ids)
    assert all(
        u.hex == i and u.version == 4 and u.variant == uuid.RFC_4122
        for u, i in zip(made, ids, strict=True)
    )
