"""OAuth client administration: register, list, revoke (service against the real database)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories

from lnob_api import models
from lnob_api.auth import repository as auth_repo
from lnob_api.auth.secrets import verify_secret
from lnob_api.client import service
from lnob_api.errors import Conflict, InvalidInput, NotFound


async def _secret_hash(conn: AsyncConnection, client_id: str) -> str | None:
    clients = models.OAuthClient.__table__
    stmt = sa.select(clients.c.secret_hash).where(clients.c.client_id == client_id)
    return (await conn.execute(stmt)).scalar_one()  # type: ignore[no-any-return]


class TestParseScopes:
    def test_reads_spaces_and_commas_in_canonical_order(self) -> None:
        assert service.parse_scopes("data:write, data:read data:read") == (
            "data:read",
            "data:write",
        )

    @pytest.mark.parametrize("scopes", ["", "data:read data:delete", "admin"])
    def test_refuses_no_scope_or_an_unknown_one(self, scopes: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            service.parse_scopes(scopes)
        assert caught.value.field == "scopes"


class TestCheckRedirectUri:
    @pytest.mark.parametrize(
        "uri",
        [
            "https://app.example.org/callback",
            "http://localhost:3000/callback",
            "http://127.0.0.1:8080/cb",
            "http://[::1]:8080/cb",
            "org.lnob.mobile:/oauth/callback",
        ],
    )
    def test_accepts_https_loopback_and_app_schemes(self, uri: str) -> None:
        assert service.check_redirect_uri(uri) == uri

    @pytest.mark.parametrize(
        "uri",
        [
            "http://app.example.org/callback",
            "https://app.example.org/cb#fragment",
            "javascript:alert(1)",
            "/relative/callback",
            "https:///no-host",
        ],
    )
    def test_refuses_the_rest(self, uri: str) -> None:
        with pytest.raises(InvalidInput):
            service.check_redirect_uri(uri)


class TestCreateClient:
    async def test_machine_client_gets_a_secret_stored_only_as_a_hash(
        self, conn: AsyncConnection
    ) -> None:
        # given
        organisation = await factories.create_organisation(conn)
        # when
        issued = await service.create_client(
            conn, name="NSO sync", organisation_slug=organisation["slug"], scopes="data:read"
        )
        # then
        assert issued.client_secret is not None
        stored = await _secret_hash(conn, issued.client_id)
        assert stored != issued.client_secret
        assert verify_secret(stored, issued.client_secret)
        client = issued.client
        assert client.grant_types == ("client_credentials", "refresh_token")
        assert (client.scopes, client.redirect_uris, client.is_public) == (
            ("data:read",),
            (),
            False,
        )
        assert client.organisation_slug == organisation["slug"]

    async def test_with_redirect_uris_it_uses_the_authorization_code_flow(
        self, conn: AsyncConnection
    ) -> None:
        organisation = await factories.create_organisation(conn)
        issued = await service.create_client(
            conn,
            name="Portal",
            organisation_slug=organisation["slug"],
            scopes=["data:read", "data:write"],
            redirect_uris=["https://portal.example.org/cb"],
        )
        assert issued.client_secret is not None
        assert issued.client.grant_types == ("authorization_code", "refresh_token")
        assert issued.client.token_endpoint_auth_method == "client_secret_basic"

    async def test_public_client_has_no_secret(self, conn: AsyncConnection) -> None:
        # given
        organisation = await factories.create_organisation(conn)
        # when
        issued = await service.create_client(
            conn,
            name="Mobile app",
            organisation_slug=organisation["slug"],
            scopes="data:read",
            redirect_uris=["org.lnob.mobile:/cb"],
            public=True,
        )
        # then
        assert issued.client_secret is None
        assert await _secret_hash(conn, issued.client_id) is None
        assert issued.client.is_public
        assert issued.client.token_endpoint_auth_method == "none"
        assert issued.client.grant_types == ("authorization_code", "refresh_token")
        # and the authorization server finds it
        found = await auth_repo.active_client(conn, issued.client_id)
        assert found is not None and found.auth_method == "none"

    async def test_public_client_needs_a_redirect_uri(self, conn: AsyncConnection) -> None:
        organisation = await factories.create_organisation(conn)
        with pytest.raises(InvalidInput, match="redirect URI") as caught:
            await service.create_client(
                conn,
                name="Web",
                organisation_slug=organisation["slug"],
                scopes="data:read",
                public=True,
            )
        assert caught.value.field == "redirect_uri"

    async def test_unknown_organisation_is_not_found(self, conn: AsyncConnection) -> None:
        with pytest.raises(NotFound):
            await service.create_client(
                conn, name="Lost", organisation_slug="nobody", scopes="data:read"
            )


class TestListClients:
    async def test_lists_clients_without_secrets(self, conn: AsyncConnection) -> None:
        organisation = await factories.create_organisation(conn)
        issued = await service.create_client(
            conn, name="Sync", organisation_slug=organisation["slug"], scopes="data:read"
        )
        listed = await service.list_clients(conn)
        assert issued.client in listed
        assert issued.client_secret is not None
        assert all(issued.client_secret not in repr(c) for c in listed)
        assert all(not hasattr(c, "secret_hash") for c in listed)


class TestWithTheAuthorizationServer:
    async def test_a_new_client_gets_tokens_until_it_is_revoked(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given a machine client registered by the service
        organisation = await factories.create_organisation(conn)
        issued = await service.create_client(
            conn, name="NSO sync", organisation_slug=organisation["slug"], scopes="data:read"
        )
        assert issued.client_secret is not None
        credentials = httpx.BasicAuth(issued.client_id, issued.client_secret)
        form = {"grant_type": "client_credentials"}
        # when it asks for a token, then it gets one that the API accepts
        response = await client.post("/oauth/token", data=form, auth=credentials)
        assert response.status_code == 200, response.text
        bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
        query = {"query": "{ coalitions { totalCount } }"}
        assert (await client.post("/graphql", json=query, headers=bearer)).status_code == 200
        # when it is revoked, then neither its token nor its secret work any more
        await service.revoke_client(conn, issued.client_id)
        assert (await client.post("/graphql", json=query, headers=bearer)).status_code == 401
        refused = await client.post("/oauth/token", data=form, auth=credentials)
        assert refused.status_code == 401


class TestRevokeClient:
    async def test_revoked_client_is_no_longer_active(self, conn: AsyncConnection) -> None:
        # given
        organisation = await factories.create_organisation(conn)
        client = await factories.create_client(conn, organisation)
        now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
        # when
        revoked = await service.revoke_client(conn, client["client_id"], now=now)
        # then
        assert revoked.revoked_at == now
        assert await auth_repo.active_client(conn, client["client_id"]) is None

    async def test_revoking_twice_is_a_conflict(self, conn: AsyncConnection) -> None:
        organisation = await factories.create_organisation(conn)
        client = await factories.create_client(conn, organisation)
        await service.revoke_client(conn, client["client_id"])
        with pytest.raises(Conflict, match="already revoked"):
            await service.revoke_client(conn, client["client_id"])

    async def test_unknown_client_is_not_found(self, conn: AsyncConnection) -> None:
        with pytest.raises(NotFound):
            await service.revoke_client(conn, "lnob_nobody")
