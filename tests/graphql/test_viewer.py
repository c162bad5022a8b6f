"""The viewer field shows who the token stands for."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, gql, token_for

from lnob_api.auth.keys import KeyStore

VIEWER = "{ viewer { kind scopes clientId name email isPartnershipAdmin roles { role coalition { code } } insiderOf { code } } }"


class TestViewer:
    async def test_anonymous_is_null(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, VIEWER)
        assert body["data"] == {"viewer": None} and "errors" not in body

    async def test_user_with_a_role(
        self, client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        org = await f.create_organisation(conn)
        frontend = await f.create_client(conn, org)
        user = await f.create_user(conn, name="Amina Odhiambo", email="amina@example.org")
        await f.give_role(conn, user, coalition, "EDITOR")
        token = token_for(
            signing_keys,
            client=frontend,
            user=user,
            scopes=("data:read", "data:write", "partnership:admin"),
        )
        # when
        body = await gql(client, VIEWER, headers=bearer(token))
        # then
        viewer = body["data"]["viewer"]
        assert viewer["kind"] == "USER"
        assert viewer["name"] == "Amina Odhiambo"
        assert viewer["scopes"] == ["data:read", "data:write"]  # not a partnership admin
        assert viewer["roles"] == [{"role": "EDITOR", "coalition": {"code": coalition["code"]}}]
        assert viewer["insiderOf"] == [{"code": coalition["code"]}]

    async def test_client_narrowed_to_its_registered_scopes(
        self, client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        org = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
        machine = await f.create_client(conn, org, scopes=["data:read"])
        token = token_for(signing_keys, client=machine, scopes=("data:read", "data:write"))
        body = await gql(client, VIEWER, headers=bearer(token))
        assert body["data"]["viewer"]["kind"] == "CLIENT"
        assert body["data"]["viewer"]["scopes"] == ["data:read"]
        assert body["data"]["viewer"]["clientId"] == machine["client_id"]
