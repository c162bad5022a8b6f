"""The purge (``lnob-api purge`` and the server's periodic task): rows no rule needs go, the
others stay."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories

from lnob_api import models
from lnob_api.cli import main
from lnob_api.config import Settings
from lnob_api.maintenance import service as maintenance
from lnob_api.maintenance.service import PurgeReport

NOW = datetime.now(UTC)


async def _fill(conn: AsyncConnection, now: datetime = NOW) -> dict[str, set[str]]:
    """One row to purge and one to keep of each kind, around ``now`` (the module's start by
    default, which the tests here give the purge); returns the keys that must stay."""
    old = now - timedelta(days=40)
    org = await factories.create_organisation(conn)
    client = await factories.create_client(conn, org)
    user = await factories.create_user(conn)
    keep: dict[str, set[str]] = {}

    def code(expires: datetime) -> dict[str, Any]:
        return {
            "code_hash": secrets.token_hex(32),
            "client_pk": client["id"],
            "user_id": user["id"],
            "redirect_uri": "http://127.0.0.1:9999/callback",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
            "expires_at": expires,
        }

    codes = [code(now - timedelta(minutes=1)), code(now + timedelta(minutes=5))]
    await conn.execute(sa.insert(models.AuthorizationCode.__table__), codes)
    keep["codes"] = {codes[1]["code_hash"]}

    def refresh(expires: datetime, revoked: datetime | None = None) -> dict[str, Any]:
        return {
            "token_hash": secrets.token_hex(32),
            "family_id": secrets.token_hex(32),
            "client_pk": client["id"],
            "user_id": user["id"],
            "expires_at": expires,
            "revoked_at": revoked,
        }

    tokens = [
        refresh(now - timedelta(seconds=1)),  # expired
        refresh(now + timedelta(days=9), revoked=now - timedelta(days=2)),  # long revoked
        refresh(now + timedelta(days=9), revoked=now - timedelta(minutes=5)),  # just revoked
        refresh(now + timedelta(days=9)),  # live
    ]
    await conn.execute(sa.insert(models.RefreshToken.__table__), tokens)
    keep["refresh"] = {tokens[2]["token_hash"], tokens[3]["token_hash"]}

    revoked = [
        {"jti": secrets.token_hex(8), "expires_at": now - timedelta(hours=1)},
        {"jti": secrets.token_hex(8), "expires_at": now + timedelta(minutes=10)},
    ]
    await conn.execute(sa.insert(models.RevokedToken.__table__), revoked)
    keep["jti"] = {revoked[1]["jti"]}

    def throttle(account: str, failed: datetime, succeeded: datetime | None) -> dict[str, Any]:
        return {
            "account": account,
            "address": "10.0.0.1",
            "failures": 4,
            "last_failure_at": failed,
            "last_success_at": succeeded,
        }

    throttles = [
        throttle("user:old@example.org", old, None),  # forgotten
        throttle("user:recent@example.org", now - timedelta(hours=1), None),
        throttle("user:known@example.org", old, now - timedelta(days=3)),  # a known address
    ]
    await conn.execute(sa.insert(models.LoginThrottle.__table__), throttles)
    keep["throttles"] = {"user:recent@example.org", "user:known@example.org"}

    def idem(created: datetime, expires: datetime) -> dict[str, Any]:
        return {
            "principal": "user:1",
            "key": secrets.token_hex(8),
            "request_hash": "0" * 64,
            "created_at": created,
            "expires_at": expires,
        }

    keys = [
        idem(now - timedelta(hours=25), now + timedelta(hours=1)),  # older than 24 h
        idem(now - timedelta(hours=2), now - timedelta(minutes=1)),  # expired
        idem(now - timedelta(hours=1), now + timedelta(hours=23)),  # live
    ]
    await conn.execute(sa.insert(models.IdempotencyKey.__table__), keys)
    keep["idempotency"] = {keys[2]["key"]}
    return keep


async def _left(conn: AsyncConnection) -> dict[str, set[str]]:
    async def column(model: Any, name: str) -> set[str]:
        table = model.__table__
        return set((await conn.execute(sa.select(table.c[name]))).scalars())

    return {
        "codes": await column(models.AuthorizationCode, "code_hash"),
        "refresh": await column(models.RefreshToken, "token_hash"),
        "jti": await column(models.RevokedToken, "jti"),
        "throttles": await column(models.LoginThrottle, "account"),
        "idempotency": await column(models.IdempotencyKey, "key"),
    }


class TestPurge:
    async def test_removes_what_no_rule_needs_and_keeps_the_rest(
        self, conn: AsyncConnection
    ) -> None:
        # given rows to purge and rows to keep of every kind
        keep = await _fill(conn)
        # when
        report = await maintenance.purge(conn, now=NOW)
        # then
        assert report == PurgeReport(
            authorization_codes=1,
            refresh_tokens=2,
            revoked_tokens=1,
            login_throttles=1,
            idempotency_keys=2,
        )
        left = await _left(conn)
        for kind, wanted in keep.items():
            assert wanted <= left[kind], kind
        assert report.total == 7
        assert str(report).startswith("purged 1 authorization codes, 2 refresh tokens")
        # and a second purge finds nothing more
        assert (await maintenance.purge(conn, now=NOW)).total == 0

    async def test_the_periodic_task_purges_and_stops(self, conn: AsyncConnection) -> None:
        # given
        await _fill(conn)
        ran = asyncio.Event()

        class Once:
            @contextlib.asynccontextmanager
            async def transaction(self) -> AsyncIterator[AsyncConnection]:
                yield conn
                ran.set()

        # when the server's task runs with a short interval
        task = maintenance.start(Once(), 0.01)
        assert task is not None
        try:
            await asyncio.wait_for(ran.wait(), timeout=30)
        finally:
            await maintenance.stop(task)
        # then it purged, and it is stopped
        assert task.done()
        assert (await maintenance.purge(conn, now=NOW)).total == 0

    async def test_the_server_runs_it_in_its_lifespan(
        self, conn: AsyncConnection, signing_keys: Any
    ) -> None:
        from lnob_api.app import create_app
        from lnob_api.db.request import ConnectionDatabase

        # given expired rows and a server configured to purge often
        await _fill(conn)
        purged = asyncio.Event()
        inner = ConnectionDatabase(conn)

        class Watched:
            @contextlib.asynccontextmanager
            async def transaction(self) -> AsyncIterator[AsyncConnection]:
                async with inner.transaction() as c:
                    yield c
                purged.set()

        settings = Settings(env="test", issuer="http://testserver", graphiql=False)
        settings = dataclasses.replace(settings, purge_interval=0.01)
        app = create_app(settings, database=Watched(), keys=signing_keys)  # type: ignore[arg-type]
        # when it runs for a moment
        async with app.router.lifespan_context(app):
            await asyncio.wait_for(purged.wait(), timeout=30)
        # then the purge ran, and it stopped with the server
        assert (await maintenance.purge(conn, now=NOW)).total == 0
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "lnob-purge"]

    def test_is_off_unless_configured(self) -> None:
        assert Settings(env="test").purge_interval == 0
        assert Settings.from_env({"LNOB_ENV": "test"}).purge_interval == 0
        assert Settings.from_env({}).purge_interval == 3600
        assert Settings.from_env({"LNOB_PURGE_INTERVAL": "60"}).purge_interval == 60
        assert maintenance.start(None, 0) is None  # type: ignore[arg-type]


class TestPurgeCommand:
    async def test_prints_the_counts(
        self,
        database_url: str,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # given the session database (migrated; its rows are this test's to keep)
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("LNOB_DATA_DIR", str(tmp_path))
        capsys.readouterr()
        # when
        code = await asyncio.to_thread(main, ["purge", "--json"])
        # then
        out, err = capsys.readouterr()
        assert code == 0, err
        counts = json.loads(out)
        assert set(counts) == {
            "authorization_codes",
            "refresh_tokens",
            "revoked_tokens",
            "login_throttles",
            "idempotency_keys",
            "skipped",
        }
        assert counts["skipped"] is False
