"""``lnob-api tokens create``: a user token from the shell, signed like the server's, audited,
accepted on ``/graphql``; unknown users and scopes refused in one line."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.secrets import hash_password
from lnob_api.cli import main
from lnob_api.config import Settings
from lnob_api.db import create_engine, migrate
from lnob_api.db.request import EngineDatabase
from lnob_api.seed import seed

ISSUER = "http://testserver"
VIEWER = "{ viewer { kind email scopes clientId isPartnershipAdmin } }"


@pytest.fixture(scope="module")
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    """A migrated, seeded database of its own (the commands commit), with two users."""
    name = f"lnob_tokens_{uuid.uuid4().hex[:8]}"
    server = create_engine(database_url, pool_size=1)
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
        users = sa.table(
            "users",
            sa.column("email"),
            sa.column("name"),
            sa.column("password_hash"),
            sa.column("is_partnership_admin"),
            sa.column("is_active"),
        )
        await conn.execute(
            sa.insert(users),
            [
                {
                    "email": "ana@example.org",
                    "name": "Ana",
                    "password_hash": hash_password("a long password"),
                    "is_partnership_admin": False,
                    "is_active": True,
                },
                {
                    "email": "gone@example.org",
                    "name": "Gone",
                    "password_hash": None,
                    "is_partnership_admin": False,
                    "is_active": False,
                },
            ],
        )
    await engine.dispose()
    yield url
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await server.dispose()


class Shell:
    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def shell(
    scratch_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Shell]:
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("LNOB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LNOB_ISSUER", ISSUER)
    monkeypatch.delenv("LNOB_SIGNING_KEYS", raising=False)
    yield Shell(capsys, monkeypatch)


async def _graphql(scratch_url: str, data_dir: Path, token: str) -> httpx.Response:
    """``VIEWER`` on the app, with the keys of ``data_dir`` (what a server there would use)."""
    from lnob_api.app import create_app

    settings = Settings(env="test", issuer=ISSUER, data_dir=data_dir)
    engine = create_engine(scratch_url, pool_size=2)
    try:
        app = create_app(
            settings, database=EngineDatabase(engine), keys=KeyStore.load(settings, create=False)
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as client:
            return await client.post(
                "/graphql",
                json={"query": VIEWER},
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        await engine.dispose()


async def _audit_events(scratch_url: str) -> list[dict[str, Any]]:
    engine = create_engine(scratch_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT client_id, user_id, entity_type, entity_id, after FROM audit_events "
                    "WHERE action = 'token.issue' ORDER BY id"
                )
            )
            return [dict(r) for r in rows.mappings()]
    finally:
        await engine.dispose()


class TestTokensCreate:
    async def test_the_token_works_on_graphql_and_is_audited(
        self, shell: Shell, scratch_url: str, tmp_path: Path
    ) -> None:
        # when an admin at the shell issues a token for Ana
        code, out, err = await asyncio.to_thread(
            shell,
            *("tokens", "create", "--user", "ANA@example.org"),
            *("--scopes", "data:read,data:write", "--ttl", "600", "--json"),
        )
        # then it prints the token and its facts
        assert code == 0, err
        printed = json.loads(out)
        assert printed["scopes"] == ["data:read", "data:write"]
        assert printed["expires_in"] == 600 and printed["client_id"] == "lnob-cli"
        # and the API accepts it as Ana's
        response = await _graphql(scratch_url, tmp_path, printed["access_token"])
        assert response.status_code == 200, response.text
        viewer = response.json()["data"]["viewer"]
        assert viewer == {
            "kind": "USER",
            "email": "ana@example.org",
            "scopes": ["data:read", "data:write"],
            "clientId": "lnob-cli",
            "isPartnershipAdmin": False,
        }
        # and the audit log names the shell's account, and never holds the token
        events = await _audit_events(scratch_url)
        assert events[-1]["client_id"].startswith("lnob-api command line: ")
        assert events[-1]["user_id"] is None and events[-1]["entity_type"] == "User"
        assert events[-1]["after"]["jti"] == printed["jti"]
        assert printed["access_token"] not in json.dumps(events, default=str)

    async def test_a_token_of_another_key_set_is_refused(
        self, shell: Shell, scratch_url: str, tmp_path: Path
    ) -> None:
        code, out, err = await asyncio.to_thread(
            shell, "tokens", "create", "--user", "ana@example.org", "--scopes", "data:read"
        )
        assert code == 0, err
        elsewhere = tmp_path / "other"
        KeyStore.load(Settings(data_dir=elsewhere))  # a server with keys of its own
        response = await _graphql(scratch_url, elsewhere, out.strip())
        assert response.status_code == 401

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--user", "nobody@example.org", "--scopes", "data:read"], "no active user"),
            (["--user", "gone@example.org", "--scopes", "data:read"], "no active user"),
            (
                ["--user", "ana@example.org", "--scopes", "data:delete"],
                "unknown scope 'data:delete'",
            ),
            (
                ["--user", "ana@example.org", "--scopes", "partnership:admin"],
                "is not a partnership admin",
            ),
        ],
    )
    async def test_refuses_clearly(
        self, shell: Shell, scratch_url: str, args: list[str], message: str
    ) -> None:
        before = len(await _audit_events(scratch_url))
        code, out, err = await asyncio.to_thread(shell, "tokens", "create", *args)
        assert (code, out) == (1, ""), err
        assert err.startswith("lnob-api: ") and err.count("\n") == 1 and message in err, err
        assert len(await _audit_events(scratch_url)) == before

    def test_a_bad_ttl_is_a_usage_error(self, shell: Shell) -> None:
        with pytest.raises(SystemExit) as exited:
            shell("tokens", "create", "--user", "a@b.org", "--scopes", "data:read", "--ttl", "5")
        assert exited.value.code == 2
