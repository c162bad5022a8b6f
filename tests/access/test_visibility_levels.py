"""Projects and publications honour PUBLIC / PARTNERSHIP / COALITION for each kind of principal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.auth.keys import KeyStore

LEVELS = ("PUBLIC", "PARTNERSHIP", "COALITION")
EXPECTED = {
    "anonymous": {"PUBLIC"},
    "insider": {"PUBLIC", "PARTNERSHIP", "COALITION"},
    "partner": {"PUBLIC", "PARTNERSHIP"},
    "partnership_admin": {"PUBLIC", "PARTNERSHIP"},
    "outside_agency": {"PUBLIC"},
    "insider_without_read_scope": {"PUBLIC"},
}
PATHS = {
    "projects": "query($c:String){ projects(filter:{coalition:$c}, first:100) { totalCount edges { node { title } } } }",
    "coalition.projects": "query($c:String){ coalition(code:$c) { projects(first:100) { totalCount edges { node { title } } } } }",
    "publications": "query($c:String){ publications(filter:{coalition:$c}, first:100) { totalCount edges { node { title } } } }",
    "coalition.publications": "query($c:String){ coalition(code:$c) { publications(first:100) { totalCount edges { node { title } } } } }",
}


async def _world(conn: AsyncConnection, keys: KeyStore) -> dict[str, Any]:
    a = await f.create_coalition(conn)
    b = await f.create_coalition(conn)
    for level in LEVELS:
        await f.create_project(conn, a, visibility=level, title=f"project {level}")
        publication = await f.create_publication(
            conn, a, visibility=level, title=f"publication {level}"
        )
        await f.link_publication_coalition(conn, publication, a)
    member_org = await f.create_organisation(conn)
    await f.add_member(conn, b, member_org)
    agency = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    frontend = await f.create_client(conn, member_org)
    insider = await f.create_user(conn)
    await f.give_role(conn, insider, a, "VIEWER")
    admin = await f.create_user(conn, is_partnership_admin=True)
    tokens = {
        "insider": token_for(keys, client=frontend, user=insider),
        "partner": token_for(keys, client=frontend),
        "partnership_admin": token_for(
            keys, client=frontend, user=admin, scopes=("data:read", "partnership:admin")
        ),
        "outside_agency": token_for(keys, client=await f.create_client(conn, agency)),
        "insider_without_read_scope": token_for(
            keys, client=frontend, user=insider, scopes=("data:write",)
        ),
    }
    return {"a": a, "tokens": tokens}


@pytest.mark.parametrize("principal", list(EXPECTED))
@pytest.mark.parametrize("path", list(PATHS))
async def test_levels(
    client: httpx.AsyncClient,
    conn: AsyncConnection,
    signing_keys: KeyStore,
    principal: str,
    path: str,
) -> None:
    world = await _world(conn, signing_keys)
    headers = bearer(world["tokens"][principal]) if principal != "anonymous" else {}
    response = await client.post(
        "/graphql",
        json={"query": PATHS[path], "variables": {"c": world["a"]["code"]}},
        headers=headers,
    )
    body = response.json()
    assert "errors" not in body, body
    connection = body["data"]
    for part in path.split("."):
        connection = connection[part if part != "coalition" else "coalition"]
    seen = {e["node"]["title"].split()[-1] for e in connection["edges"]}
    assert seen == EXPECTED[principal]
    assert connection["totalCount"] == len(EXPECTED[principal])
