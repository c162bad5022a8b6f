"""The GraphiQL page, its vendored files and the OAuth client it logs in with."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import shutil
import stat
import sys
import tarfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped,unused-ignore]
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.secrets import hash_password
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase
from lnob_api.graphiql import vendor
from lnob_api.graphiql.page import DEFAULT_QUERY
from lnob_api.graphiql.service import CLIENT_ID, ClientOutcome, ensure_graphiql_client
from lnob_api.http import oauth

ISSUER = "http://127.0.0.1:8000"
MANIFEST = vendor.load_manifest()
PAGE_FILES = [file for file in MANIFEST.files if file.page]
GRAPHIQL_JS = next(file for file in MANIFEST.files if file.path == "graphiql.min.js")
GRAPHIQL_CSS = next(file for file in MANIFEST.files if file.path == "graphiql.min.css")
HTML = {"Accept": "text/html"}
_NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


@pytest.fixture
def settings() -> Settings:
    # A loopback issuer: the authorization server accepts plain http only there.
    return Settings(env="test", issuer=ISSUER)


@pytest.fixture(scope="module")
def vendored() -> Path:
    """The vendored files, fetched now if ``make vendor`` has not run yet."""
    messages: list[str] = []
    vendor.vendor(log=messages.append)
    if not all(vendor.is_installed(vendor.DEFAULT_DEST, f) for f in MANIFEST.files):
        pytest.skip(f"GraphiQL's files could not be vendored: {' '.join(messages)}")
    return vendor.DEFAULT_DEST


def _nonce(response: httpx.Response) -> str:
    found = _NONCE.search(response.headers["content-security-policy"])
    assert found is not None
    return found.group(1)


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


class TestPage:
    async def test_renders_graphiql_from_the_local_files(
        self, client: httpx.AsyncClient, vendored: Path
    ) -> None:
        # when
        page = await client.get("/graphql", headers=HTML)
        # then the page loads every file from this server, pinned by its hash
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        for file in PAGE_FILES:
            assert f'"/graphiql/assets/{file.key}" integrity="{file.integrity}"' in page.text
        assert "https://unpkg.com" not in page.text
        # and the log-in button, with the client and redirect URI it logs in with
        assert (
            '<button id="lnob-login" type="button"' in page.text and ">Log in</button>" in page.text
        )
        config = json.loads(
            re.findall(r'id="lnob-config" type="application/json">(.*?)</script>', page.text)[0]
        )
        assert config["clientId"] == CLIENT_ID
        assert config["redirectUri"] == f"{ISSUER}/graphql"
        assert config["scope"] == "data:read data:write coalition:admin partnership:admin"
        assert config["tokenUrl"] == f"{ISSUER}/oauth/token"

    async def test_content_security_policy_allows_inline_code_only_with_the_nonce(
        self, client: httpx.AsyncClient, vendored: Path
    ) -> None:
        # when
        page = await client.get("/graphql", headers=HTML)
        # then
        nonce = _nonce(page)
        csp = _csp(page)
        assert csp["script-src"] == f"'self' 'nonce-{nonce}'"
        assert csp["style-src"] == f"'self' 'nonce-{nonce}'"
        assert csp["connect-src"] == "'self'"
        assert csp["default-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
        data_blocks = [a for a in inline if 'type="application/json"' in a]
        assert len(inline) - len(data_blocks) == 1
        assert all(f'nonce="{nonce}"' in a for a in inline if a not in data_blocks)
        assert f'<style nonce="{nonce}">' in page.text
        assert page.text.count("</script>") == page.text.count("<script")
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"

    async def test_every_response_has_a_new_nonce(
        self, client: httpx.AsyncClient, vendored: Path
    ) -> None:
        first = await client.get("/graphql", headers=HTML)
        second = await client.get("/graphql", headers=HTML)
        assert _nonce(first) != _nonce(second)
        assert f'nonce="{_nonce(second)}"' in second.text

    async def test_falls_back_to_the_pinned_cdn_without_local_files(
        self,
        monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path,
        conn: AsyncConnection,
        settings: Settings,
        signing_keys: KeyStore,
    ) -> None:
        # given nothing vendored
        from lnob_api.app import create_app

        monkeypatch.setattr(vendor, "DEFAULT_DEST", tmp_path / "empty")
        app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
        # when
        async with _http(app) as http:
            page = await http.get("/graphql", headers=HTML)
            asset = await http.get(f"/graphiql/assets/{GRAPHIQL_JS.key}")
        # then each file comes from the CDN with its hash, and the policy names the CDN
        for file in PAGE_FILES:
            url = f"https://unpkg.com/{file.key}"
            assert f'"{url}" integrity="{file.integrity}" crossorigin="anonymous"' in page.text
        assert _csp(page)["script-src"] == f"'self' 'nonce-{_nonce(page)}' https://unpkg.com"
        assert asset.status_code == 404

    async def test_the_default_query_is_valid(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/graphql", json={"query": DEFAULT_QUERY})
        assert "errors" not in response.json()
        assert response.json()["data"]["viewer"] is None

    async def test_json_requests_still_run_queries(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/graphql", params={"query": "{ __typename }"})
        assert response.json()["data"] == {"__typename": "Query"}
        assert "errors" not in response.json()

    async def test_no_page_and_no_files_when_graphiql_is_off(
        self, conn: AsyncConnection, signing_keys: KeyStore, vendored: Path
    ) -> None:
        from lnob_api.app import create_app

        settings = Settings(env="test", issuer=ISSUER, graphiql=False)
        app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
        async with _http(app) as http:
            page = await http.get("/graphql", headers=HTML)
            asset = await http.get(f"/graphiql/assets/{GRAPHIQL_JS.key}")
        assert "lnob-login" not in page.text
        assert asset.status_code == 404


class TestAssets:
    async def test_serves_a_vendored_script_as_javascript(
        self, client: httpx.AsyncClient, vendored: Path
    ) -> None:
        response = await client.get(f"/graphiql/assets/{GRAPHIQL_JS.key}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert vendor.sri(response.content) == GRAPHIQL_JS.integrity
        assert "immutable" in response.headers["cache-control"]
        assert response.headers["x-content-type-options"] == "nosniff"

    async def test_serves_a_stylesheet_as_css(
        self, client: httpx.AsyncClient, vendored: Path
    ) -> None:
        response = await client.get(f"/graphiql/assets/{GRAPHIQL_CSS.key}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/css; charset=utf-8"

    @pytest.mark.parametrize(
        "path",
        [
            "react@18.2.0/package.json",
            "graphiql@3.8.3/graphiql.min.js.part",
            "graphiql@3.8.3/../../../pyproject.toml",
            "graphiql@3.8.3/%2e%2e/%2e%2e/%2e%2e/pyproject.toml",
        ],
    )
    async def test_serves_nothing_outside_the_manifest(
        self, client: httpx.AsyncClient, vendored: Path, path: str
    ) -> None:
        response = await client.get(f"/graphiql/assets/{path}")
        assert response.status_code == 404


def _fake_npm(folder: Path, content: bytes) -> str:
    """An ``npm`` that packs every requested package as a tarball holding ``content`` at each
    file path of the manifest."""
    script = folder / "npm"
    paths_by_spec: dict[str, list[str]] = {}
    for file in MANIFEST.files:
        paths_by_spec.setdefault(file.spec, []).append(file.path)
    script.write_text(
        f"#!{sys.executable}\n"
        "import io, json, sys, tarfile\n"
        f"paths = {paths_by_spec!r}\n"
        f"content = {content!r}\n"
        "args = sys.argv[2:]\n"
        "dest = args[args.index('--pack-destination') + 1]\n"
        "specs = [a for a in args if not a.startswith('--') and a != dest]\n"
        "out = []\n"
        "for n, spec in enumerate(specs):\n"
        "    name = f'pkg{n}.tgz'\n"
        "    with tarfile.open(f'{dest}/{name}', 'w:gz') as tar:\n"
        "        for path in paths[spec]:\n"
        "            info = tarfile.TarInfo('package/' + path)\n"
        "            info.size = len(content)\n"
        "            tar.addfile(info, io.BytesIO(content))\n"
        "    out.append({'filename': name})\n"
        "print(json.dumps(out))\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


class TestVendoring:
    def test_without_npm_warns_and_succeeds(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setattr(shutil, "which", lambda name: None)
        messages: list[str] = []
        assert vendor.vendor(tmp_path / "dest", log=messages.append) == 0
        assert "npm not found" in messages[0]
        assert not (tmp_path / "dest").exists()

    def test_skips_files_already_present(self, vendored: Path) -> None:
        messages: list[str] = []
        # an npm that would fail if it were called
        assert vendor.vendor(vendored, npm="/nonexistent/npm", log=messages.append) == 0
        assert messages == []

    def test_failing_npm_warns_and_succeeds(self, tmp_path: Path) -> None:
        messages: list[str] = []
        assert vendor.vendor(tmp_path / "dest", npm="/nonexistent/npm", log=messages.append) == 0
        assert "npm pack failed" in messages[0]

    def test_installs_packed_files_whose_hash_matches(self, tmp_path: Path) -> None:
        # given a manifest whose hashes are those of the packed content
        content = b"console.log('packed');\n"
        manifest = tmp_path / "assets.json"
        raw = json.loads(vendor.MANIFEST.read_text())
        for package in raw["packages"]:
            for entry in package["files"]:
                entry["integrity"] = vendor.sri(content)
        manifest.write_text(json.dumps(raw))
        npm = _fake_npm(tmp_path, content)
        # when
        code = vendor.vendor(tmp_path / "dest", manifest_path=manifest, npm=npm, log=print)
        # then
        assert code == 0
        target = tmp_path / "dest" / GRAPHIQL_JS.key
        assert target.read_bytes() == content

    def test_refuses_a_packed_file_whose_hash_differs(self, tmp_path: Path) -> None:
        messages: list[str] = []
        npm = _fake_npm(tmp_path, b"tampered")
        code = vendor.vendor(tmp_path / "dest", npm=npm, log=messages.append)
        assert code == 1
        assert "error:" in messages[-1] and "sha384-" in messages[-1]
        assert not list((tmp_path / "dest").rglob("*.js"))

    def test_update_manifest_writes_the_hashes_of_the_packed_files(self, tmp_path: Path) -> None:
        manifest = tmp_path / "assets.json"
        manifest.write_text(vendor.MANIFEST.read_text())
        npm = _fake_npm(tmp_path, b"new release")
        code = vendor.vendor(
            tmp_path / "dest", manifest_path=manifest, npm=npm, update_manifest=True, log=print
        )
        assert code == 0
        updated = vendor.load_manifest(manifest)
        assert {file.integrity for file in updated.files} == {vendor.sri(b"new release")}

    def test_tarball_members_are_read_not_extracted(self, tmp_path: Path) -> None:
        # A member named like a path outside the folder must not be written anywhere.
        tarball = tmp_path / "evil.tgz"
        with tarfile.open(tarball, "w:gz") as tar:
            info = tarfile.TarInfo("package/../../escape.js")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        with pytest.raises(vendor.IntegrityError):
            vendor._read_member(tarball, "dist/index.js")
        assert not (tmp_path.parent / "escape.js").exists()


async def _client_row(conn: AsyncConnection) -> Any:
    table = models.OAuthClient.__table__
    stmt = sa.select(table).where(table.c.client_id == CLIENT_ID)
    return (await conn.execute(stmt)).mappings().one_or_none()


async def _count(conn: AsyncConnection, model: Any, **where: Any) -> int:
    table = model.__table__
    stmt = sa.select(sa.func.count()).select_from(table)
    for column, value in where.items():
        stmt = stmt.where(table.c[column] == value)
    return int((await conn.execute(stmt)).scalar_one())


class TestEnsureGraphiqlClient:
    async def test_creates_a_public_client_and_its_organisation(
        self, conn: AsyncConnection, settings: Settings
    ) -> None:
        # when
        outcome = await ensure_graphiql_client(ConnectionDatabase(conn), settings)
        # then
        assert outcome is ClientOutcome.CREATED
        row = await _client_row(conn)
        assert row["token_endpoint_auth_method"] == "none"
        assert row["secret_hash"] is None
        assert row["grant_types"] == ["authorization_code", "refresh_token"]
        assert row["scopes"] == ["data:read", "data:write", "coalition:admin", "partnership:admin"]
        assert row["redirect_uris"] == [f"{ISSUER}/graphql"]
        orgs = models.Organisation.__table__
        org = (
            (await conn.execute(sa.select(orgs).where(orgs.c.id == row["organisation_id"])))
            .mappings()
            .one()
        )
        assert (org["slug"], org["name"], org["kind"]) == (
            "lnob-partnership",
            "Leave No One Behind partnership",
            "ICSO",
        )
        assert org["description"]

    async def test_is_idempotent(self, conn: AsyncConnection, settings: Settings) -> None:
        # given
        database = ConnectionDatabase(conn)
        await ensure_graphiql_client(database, settings)
        before = await _client_row(conn)
        # when
        outcome = await ensure_graphiql_client(database, settings)
        # then
        assert outcome is ClientOutcome.UNCHANGED
        assert await _client_row(conn) == before
        assert await _count(conn, models.OAuthClient, client_id=CLIENT_ID) == 1
        assert await _count(conn, models.Organisation, slug="lnob-partnership") == 1

    async def test_adds_each_served_origin_and_keeps_the_others(
        self, conn: AsyncConnection, settings: Settings
    ) -> None:
        # given a first server registered the client
        database = ConnectionDatabase(conn)
        await ensure_graphiql_client(database, settings)
        second = Settings(env="test", issuer="http://127.0.0.1:8001")
        # when a second server (another port) starts against the same database
        outcome = await ensure_graphiql_client(database, second)
        # then both log-ins work: the second origin is added, the first kept
        assert outcome is ClientOutcome.UPDATED
        row = await _client_row(conn)
        assert row["redirect_uris"] == [f"{ISSUER}/graphql", "http://127.0.0.1:8001/graphql"]
        # and restarting either changes nothing
        assert await ensure_graphiql_client(database, second) is ClientOutcome.UNCHANGED
        assert await ensure_graphiql_client(database, settings) is ClientOutcome.UNCHANGED
        moved = Settings(env="test", issuer="https://data.lnob.example/api")
        assert await ensure_graphiql_client(database, moved) is ClientOutcome.UPDATED
        assert (await _client_row(conn))["redirect_uris"][-1] == (
            "https://data.lnob.example/api/graphql"
        )

    async def test_restores_an_altered_registration(
        self, conn: AsyncConnection, settings: Settings
    ) -> None:
        # given someone gave the client a secret and extra redirect URIs
        database = ConnectionDatabase(conn)
        await ensure_graphiql_client(database, settings)
        table = models.OAuthClient.__table__
        await conn.execute(
            sa.update(table)
            .where(table.c.client_id == CLIENT_ID)
            .values(
                secret_hash="0" * 64,
                token_endpoint_auth_method="client_secret_basic",
                redirect_uris=[f"{ISSUER}/graphql", "https://evil.example/cb"],
            )
        )
        # when
        outcome = await ensure_graphiql_client(database, settings)
        # then
        assert outcome is ClientOutcome.UPDATED
        row = await _client_row(conn)
        assert (row["secret_hash"], row["token_endpoint_auth_method"]) == (None, "none")
        assert row["redirect_uris"] == [f"{ISSUER}/graphql"]

    async def test_keeps_an_existing_organisation(
        self, conn: AsyncConnection, settings: Settings
    ) -> None:
        existing = await f.create_organisation(conn, slug="lnob-partnership", name="LNOB")
        await ensure_graphiql_client(ConnectionDatabase(conn), settings)
        row = await _client_row(conn)
        assert row["organisation_id"] == existing["id"]
        assert await _count(conn, models.Organisation, slug="lnob-partnership", name="LNOB") == 1

    async def test_leaves_a_revoked_client_revoked(
        self, conn: AsyncConnection, settings: Settings
    ) -> None:
        database = ConnectionDatabase(conn)
        await ensure_graphiql_client(database, settings)
        table = models.OAuthClient.__table__
        await conn.execute(
            sa.update(table).where(table.c.client_id == CLIENT_ID).values(revoked_at=sa.func.now())
        )
        assert await ensure_graphiql_client(database, settings) is ClientOutcome.REVOKED
        assert (await _client_row(conn))["revoked_at"] is not None

    async def test_does_nothing_when_graphiql_is_off(self, conn: AsyncConnection) -> None:
        settings = Settings(env="test", issuer=ISSUER, graphiql=False)
        assert await ensure_graphiql_client(ConnectionDatabase(conn), settings) is None
        assert await _client_row(conn) is None

    async def test_a_database_error_is_logged_not_raised(
        self, settings: Settings, caplog: pytest.LogCaptureFixture
    ) -> None:
        class Unreachable:
            @asynccontextmanager
            async def transaction(self) -> AsyncIterator[AsyncConnection]:
                raise OSError("connection refused")
                yield  # pragma: no cover

        with caplog.at_level(logging.WARNING):
            assert await ensure_graphiql_client(Unreachable(), settings) is None
        assert "GraphiQL log-in unavailable" in caplog.text


@asynccontextmanager
async def _http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class TestLogInWithTheGraphiqlClient:
    """What the page's script does, step by step, against the real authorization server."""

    async def test_code_flow_with_pkce_then_refresh(
        self,
        client: httpx.AsyncClient,
        conn: AsyncConnection,
        settings: Settings,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # given the registered client and an administrator
        monkeypatch.setattr(oauth, "FAILURE_DELAY_SECONDS", 0)
        await ensure_graphiql_client(ConnectionDatabase(conn), settings)
        await f.create_user(
            conn,
            email="admin@lnob.example",
            name="Partnership Admin",
            password_hash=hash_password("correct horse battery"),
            is_partnership_admin=True,
        )
        verifier = secrets.token_urlsafe(32)
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": f"{ISSUER}/graphql",
            "scope": "data:read data:write coalition:admin partnership:admin",
            "state": "state-1",
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        # when the admin signs in on the authorization page
        form_page = await client.get("/oauth/authorize", params=params)
        assert form_page.status_code == 200, form_page.text
        hidden = dict(
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form_page.text)
        )
        signed_in = await client.post(
            "/oauth/authorize",
            data=hidden
            | {
                "email": "admin@lnob.example",
                "password": "correct horse battery",
                "action": "allow",
            },
        )
        # then the browser comes back to the GraphiQL page with a code
        assert signed_in.status_code == 302, signed_in.text
        location = httpx.URL(signed_in.headers["location"])
        assert str(location.copy_with(query=None)) == f"{ISSUER}/graphql"
        assert location.params["state"] == "state-1"
        # when the page exchanges it as a public client
        token = await client.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": CLIENT_ID,
                "code": location.params["code"],
                "redirect_uri": f"{ISSUER}/graphql",
                "code_verifier": verifier,
            },
        )
        # then it gets both tokens with every scope, and the viewer is the admin
        assert token.status_code == 200, token.text
        body = token.json()
        assert set(body["scope"].split()) == set(params["scope"].split())
        auth = {"Authorization": f"Bearer {body['access_token']}"}
        viewer = await client.post(
            "/graphql", json={"query": "{ viewer { name clientId } }"}, headers=auth
        )
        assert viewer.json()["data"]["viewer"] == {
            "name": "Partnership Admin",
            "clientId": CLIENT_ID,
        }
        # and the refresh token rotates
        refreshed = await client.post(
            "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "refresh_token": body["refresh_token"],
            },
        )
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["refresh_token"] != body["refresh_token"]
