"""Units of the authorization server: scope narrowing, the client model, the transport rule,
and the repository's login throttle and refresh families."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from authlib.oauth2.rfc6749 import InsecureTransportError  # type: ignore[import-untyped,unused-ignore]
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api import models
from lnob_api.auth import repository as repo
from lnob_api.auth.repository import ClientRecord, UserRecord
from lnob_api.auth.server import Client, _public_base, narrow_scope
from lnob_api.config import Settings

ALL = ["data:read", "data:write", "coalition:admin", "partnership:admin"]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _user(*, admin: bool) -> UserRecord:
    return UserRecord(
        id=1, email="a@example.org", password_hash=None, is_partnership_admin=admin, is_active=True
    )


def _client(**overrides: Any) -> Client:
    values: dict[str, Any] = {
        "pk": 1,
        "client_id": "c",
        "name": "C",
        "secret_hash": None,
        "organisation_id": 1,
        "scopes": ("data:read",),
        "redirect_uris": ("https://app.example/cb",),
        "grant_types": ("authorization_code", "refresh_token", "client_credentials"),
        "auth_method": "client_secret_basic",
    }
    return Client(ClientRecord(**(values | overrides)))


class TestNarrowScope:
    def test_intersection_with_registered(self) -> None:
        assert narrow_scope("data:write data:read", ["data:read"], default_all=True) == "data:read"

    def test_nothing_requested_gives_all_registered_when_defaulting(self) -> None:
        assert narrow_scope(None, ["data:write", "data:read"], default_all=True) == (
            "data:read data:write"
        )

    def test_nothing_requested_gives_nothing_otherwise(self) -> None:
        assert narrow_scope("", ["data:read"], default_all=False) == ""

    def test_no_overlap_is_none(self) -> None:
        assert narrow_scope("coalition:admin", ["data:read"], default_all=True) is None

    def test_partnership_admin_only_for_admin_users(self) -> None:
        wanted = "data:read partnership:admin"
        assert narrow_scope(wanted, ALL, user=_user(admin=False), default_all=False) == (
            "data:read"
        )
        assert narrow_scope(wanted, ALL, user=_user(admin=True), default_all=False) == wanted

    def test_registered_scopes_outside_the_four_are_never_granted(self) -> None:
        assert narrow_scope(None, ["data:read", "root"], default_all=True) == "data:read"


class TestClient:
    def test_redirect_uri_must_match_exactly(self) -> None:
        client = _client()
        assert client.check_redirect_uri("https://app.example/cb")
        assert not client.check_redirect_uri("https://app.example/cb/")
        assert not client.check_redirect_uri("https://app.example/cb?x=1")
        assert not client.check_redirect_uri("https://app.example/c")

    def test_default_redirect_uri_only_when_one_is_registered(self) -> None:
        assert _client().get_default_redirect_uri() == "https://app.example/cb"
        several = _client(redirect_uris=("https://a.example/cb", "https://b.example/cb"))
        assert several.get_default_redirect_uri() is None

    def test_confidential_clients_use_a_secret_and_public_ones_none(self) -> None:
        confidential, public = _client(), _client(auth_method="none")
        assert confidential.check_endpoint_auth_method("client_secret_post", "token")
        assert confidential.check_endpoint_auth_method("client_secret_basic", "token")
        assert not confidential.check_endpoint_auth_method("none", "token")
        assert public.check_endpoint_auth_method("none", "token")
        assert not public.check_endpoint_auth_method("client_secret_basic", "token")

    def test_public_clients_never_use_client_credentials(self) -> None:
        public = _client(auth_method="none")
        assert not public.check_grant_type("client_credentials")
        assert public.check_grant_type("authorization_code")

    def test_public_clients_have_no_secret(self) -> None:
        from lnob_api.auth.secrets import hash_secret

        assert not _client(auth_method="none", secret_hash=hash_secret("x")).check_client_secret(
            "x"
        )
        assert _client(secret_hash=hash_secret("x")).check_client_secret("x")


class TestTransport:
    def test_production_needs_https(self) -> None:
        with pytest.raises(InsecureTransportError):
            _public_base(Settings(env="production", issuer="http://data.example.org"))

    def test_https_and_loopback_are_kept(self) -> None:
        assert _public_base(Settings(env="production", issuer="https://d.example")) == (
            "https://d.example"
        )
        loopback = "http://127.0.0.1:8000"
        assert _public_base(Settings(env="production", issuer=loopback)) == loopback

    def test_plain_http_is_tolerated_outside_production(self) -> None:
        assert _public_base(Settings(env="test", issuer="http://testserver")) == (
            "https://testserver"
        )


_WINDOW = timedelta(minutes=15)


async def _fail(conn: AsyncConnection, email: str, now: datetime) -> datetime | None:
    return await repo.record_login_failure(
        conn, email, now=now, max_failures=5, window=_WINDOW, lockout=_WINDOW
    )


class TestLoginThrottle:
    async def test_fifth_recent_failure_locks(self, conn: AsyncConnection) -> None:
        # given
        results = [await _fail(conn, "x@example.org", NOW + timedelta(seconds=i)) for i in range(4)]
        # when
        locked = await _fail(conn, "x@example.org", NOW + timedelta(seconds=5))
        # then
        assert results == [None] * 4
        assert locked == NOW + timedelta(seconds=5) + _WINDOW
        assert await repo.login_locked_until(conn, "x@example.org", now=NOW) == locked
        assert await repo.login_locked_until(conn, "x@example.org", now=locked) is None

    async def test_old_failures_are_forgotten(self, conn: AsyncConnection) -> None:
        # given
        for i in range(4):
            await _fail(conn, "y@example.org", NOW + timedelta(seconds=i))
        # when
        later = await _fail(conn, "y@example.org", NOW + timedelta(minutes=20))
        # then
        assert later is None
        failures = (
            await conn.execute(
                sa.select(models.LoginThrottle.failures).where(
                    models.LoginThrottle.email == "y@example.org"
                )
            )
        ).scalar_one()
        assert failures == 1

    async def test_success_clears_the_count(self, conn: AsyncConnection) -> None:
        # given
        await _fail(conn, "z@example.org", NOW)
        # when
        await repo.clear_login_failures(conn, "z@example.org")
        # then
        rows = await conn.execute(
            sa.select(models.LoginThrottle.email).where(
                models.LoginThrottle.email == "z@example.org"
            )
        )
        assert rows.first() is None


class TestRefreshFamilies:
    async def test_revoking_a_family_revokes_each_live_token_once(
        self, conn: AsyncConnection
    ) -> None:
        # given
        org = await f.create_organisation(conn)
        client = await f.create_client(conn, org)
        user = await f.create_user(conn)
        for n in range(3):
            await repo.insert_refresh_token(
                conn,
                token_hash=f"{n:064d}",
                family_id="fam",
                client_pk=client["id"],
                user_id=user["id"],
                scope="data:read",
                now=NOW,
                expires_at=NOW + timedelta(days=1),
            )
        # when
        first = await repo.revoke_refresh_family(conn, "fam", now=NOW)
        second = await repo.revoke_refresh_family(conn, "fam", now=NOW)
        # then
        assert (first, second) == (3, 0)
        record = await repo.refresh_token_by_hash(conn, f"{0:064d}")
        assert record is not None
        assert record.revoked_at == NOW
        assert record.client_id == client["client_id"]
