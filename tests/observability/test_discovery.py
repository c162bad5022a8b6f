"""OpenID Connect discovery and RFC 9728 protected-resource metadata, over real HTTP (ASGI)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings

OPENID = "/.well-known/openid-configuration"
RESOURCE = "/.well-known/oauth-protected-resource"
QUERY = {"query": "{ viewer { kind } }"}


class TestOpenIdConfiguration:
    async def test_is_valid_provider_metadata_for_this_issuer(
        self, client: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # when
        response = await client.get(OPENID)
        # then
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        doc = response.json()
        monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the test issuer is plain http
        metadata = OpenIDProviderMetadata(doc)
        for name in dir(metadata):
            # Every OpenID Connect Discovery 1.0 rule but one: no ID tokens are issued, and the
            # signing algorithm listed is the one really used (ES256), not RS256.
            if (
                name.startswith("validate_")
                and name != "validate_id_token_signing_alg_values_supported"
            ):
                getattr(metadata, name)()
        issuer = settings.issuer
        assert doc["issuer"] == issuer
        assert doc["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
        assert doc["authorization_endpoint"] == f"{issuer}/oauth/authorize"
        assert doc["token_endpoint"] == f"{issuer}/oauth/token"
        assert doc["subject_types_supported"] == ["public"]
        assert doc["id_token_signing_alg_values_supported"] == ["ES256"]

    async def test_agrees_with_the_oauth_metadata_and_the_keys(
        self, client: httpx.AsyncClient
    ) -> None:
        # when
        openid = (await client.get(OPENID)).json()
        oauth = (await client.get("/.well-known/oauth-authorization-server")).json()
        jwks = (await client.get(urlsplit(openid["jwks_uri"]).path)).json()
        # then: every RFC 8414 member is the same, and the keys sign with the algorithm listed
        assert {k: openid[k] for k in oauth} == oauth
        assert {key["alg"] for key in jwks["keys"]} == set(
            openid["id_token_signing_alg_values_supported"]
        )


class TestProtectedResourceMetadata:
    async def test_names_the_resource_and_its_authorization_server(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        # when
        response = await client.get(RESOURCE)
        # then
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        doc = response.json()
        # RFC 9728 section 3.3: the resource is the identifier the metadata URL was built from
        assert doc["resource"] == settings.issuer
        assert doc["authorization_servers"] == [settings.issuer]
        assert doc["bearer_methods_supported"] == ["header"]
        assert set(doc["scopes_supported"]) == {
            "data:read",
            "data:write",
            "coalition:admin",
            "partnership:admin",
        }
        assert isinstance(doc["resource_name"], str)
        # the authorization server named is one whose RFC 8414 metadata answers, for that issuer
        server = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert server["issuer"] == doc["authorization_servers"][0]

    async def test_lists_the_external_issuer_whose_tokens_are_accepted(
        self, signing_keys: KeyStore, conn: AsyncConnection
    ) -> None:
        # given
        from lnob_api.app import create_app
        from lnob_api.db.request import ConnectionDatabase

        settings = Settings(
            env="test", issuer="http://testserver", oidc_issuer="https://id.example.org/realms/x"
        )
        app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            # when
            doc = (await c.get(RESOURCE)).json()
        # then
        assert doc["authorization_servers"] == [
            "http://testserver",
            "https://id.example.org/realms/x",
        ]

    async def test_a_401_points_to_the_metadata(
        self, client: httpx.AsyncClient, settings: Settings
    ) -> None:
        # when
        bad_token = await client.post(
            "/graphql", json=QUERY, headers={"Authorization": "Bearer not-a-token"}
        )
        bad_scheme = await client.post(
            "/graphql", json=QUERY, headers={"Authorization": "Basic dXNlcjpwdw=="}
        )
        # then (RFC 9728 section 5.1)
        for response in (bad_token, bad_scheme):
            assert response.status_code == 401
            challenge = response.headers["www-authenticate"]
            assert challenge.startswith("Bearer ")
            assert f'resource_metadata="{settings.issuer}{RESOURCE}"' in challenge
            assert 'error="invalid_token"' in challenge
