"""A grant names one dataset version and covers every version of that dataset."""

from __future__ import annotations

import base64

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.auth.keys import KeyStore

UPDATE = "mutation($i: DatasetUpdateInput!) { datasetUpdate(input: $i) { dataset { id rowVersion version } userErrors { code } } }"
PUBLISH = "mutation($i: DatasetPublishInput!) { datasetPublish(input: $i) { dataset { id version } userErrors { code } } }"
READ = "query($s: String) { dataset(slug: $s) { version title } }"


async def test_grant_on_first_version_covers_the_next(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given a COALITION dataset granted (on its first version) to a statistics agency
    coalition = await f.create_coalition(conn)
    org = await f.create_organisation(conn)
    frontend = await f.create_client(conn, org)
    editor = await f.create_user(conn)
    await f.give_role(conn, editor, coalition, "EDITOR")
    v1 = await f.create_dataset(conn, coalition, visibility="COALITION", title="First")
    agency = await f.create_client(
        conn, await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    )
    await f.create_grant(conn, coalition, client_id=agency["id"], dataset_id=v1["id"])
    editor_headers = bearer(
        token_for(signing_keys, client=frontend, user=editor, scopes=("data:read", "data:write"))
    )
    agency_headers = bearer(token_for(signing_keys, client=agency))
    assert (
        await client.post(
            "/graphql", json={"query": READ, "variables": {"s": v1["slug"]}}, headers=agency_headers
        )
    ).json()["data"]["dataset"] == {"version": 1, "title": "First"}
    # when the editor publishes a second version
    gid = base64.b64encode(f"Dataset:{v1['id']}".encode()).decode()
    draft = (
        await client.post(
            "/graphql",
            json={
                "query": UPDATE,
                "variables": {"i": {"id": gid, "rowVersion": 1, "title": "Second"}},
            },
            headers=editor_headers,
        )
    ).json()["data"]["datasetUpdate"]["dataset"]
    published = (
        await client.post(
            "/graphql",
            json={
                "query": PUBLISH,
                "variables": {"i": {"id": draft["id"], "rowVersion": draft["rowVersion"]}},
            },
            headers=editor_headers,
        )
    ).json()["data"]["datasetPublish"]
    assert published["userErrors"] == []
    # then the agency reads the new version under the same grant
    seen = (
        await client.post(
            "/graphql", json={"query": READ, "variables": {"s": v1["slug"]}}, headers=agency_headers
        )
    ).json()
    assert seen["data"]["dataset"] == {"version": 2, "title": "Second"}


async def test_users_do_not_inherit_their_sign_in_clients_grants(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given a grant made to a machine client, which people also sign in through
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition, visibility="COALITION")
    machine = await f.create_client(
        conn, await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    )
    await f.create_grant(conn, coalition, client_id=machine["id"])
    person = await f.create_user(conn)
    as_machine = bearer(token_for(signing_keys, client=machine))
    as_person = bearer(token_for(signing_keys, client=machine, user=person))
    # then the machine reads the dataset, the person signed in through it does not
    seen = [
        (
            await client.post(
                "/graphql", json={"query": READ, "variables": {"s": dataset["slug"]}}, headers=h
            )
        ).json()["data"]["dataset"]
        for h in (as_machine, as_person)
    ]
    assert seen[0] is not None
    assert seen[1] is None
