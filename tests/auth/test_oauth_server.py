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
from lnob_api.auth import throttle
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


A, B = "198.51.100.7", "203.0.113.9"


async def _fail(conn: AsyncConnection, account: str, address: str, now: datetime) -> int:
    return await throttle.record_failure(conn, account, address, now=now)


async def _wait(conn: AsyncConnection, account: str, address: str, now: datetime) -> int:
    return await throttle.wait_before_attempt(conn, account, address, now=now)


class TestThrottlePolicy:
    def test_delays_double_after_the_free_failures_up_to_a_ceiling(self) -> None:
        delays = [throttle.delay_after(n, 3).total_seconds() for n in range(1, 16)]
        assert delays[:2] == [0, 0]
        assert delays[2:8] == [1, 2, 4, 8, 16, 32]
        assert max(delays) == throttle.MAX_DELAY.total_seconds() == delays[-1]
        assert throttle.delay_after(10_000, 3) == throttle.MAX_DELAY

    @pytest.mark.parametrize(
        ("host", "key"),
        [
            ("198.51.100.7", "198.51.100.7"),
            ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
            ("::ffff:198.51.100.7", "198.51.100.7"),
            (None, "unknown"),
        ],
    )
    def test_addresses_are_counted_per_ipv4_or_ipv6_64(self, host: str | None, key: str) -> None:
        assert throttle.address_key(host) == key


class TestThrottle:
    async def test_failures_from_one_address_delay_only_that_address(
        self, conn: AsyncConnection
    ) -> None:
        # given five failures from A, one second apart
        account = throttle.user_account("x@example.org")
        waits = [await _fail(conn, account, A, NOW + timedelta(seconds=i)) for i in range(5)]
        moment = NOW + timedelta(seconds=5)
        # then A waits longer after each failure past the free ones, and B not at all
        assert waits == [0, 0, 1, 2, 4]
        assert await _wait(conn, account, A, moment) == 3  # 4 s after the failure at +4 s
        assert await _wait(conn, account, B, moment) == 0
        assert await _wait(conn, account, A, moment + timedelta(seconds=3)) == 0

    async def test_success_resets_and_old_failures_are_forgotten(
        self, conn: AsyncConnection
    ) -> None:
        account = throttle.user_account("y@example.org")
        for i in range(4):
            await _fail(conn, account, A, NOW + timedelta(seconds=i))
        await throttle.record_success(conn, account, A, now=NOW + timedelta(seconds=10))
        assert await _fail(conn, account, A, NOW + timedelta(seconds=11)) == 0
        # a day later the count starts again
        for i in range(5):
            await _fail(conn, account, B, NOW + timedelta(seconds=i))
        later = NOW + throttle.MEMORY + timedelta(minutes=1)
        assert await _fail(conn, account, B, later) == 0

    async def test_the_account_ceiling_spares_addresses_it_signed_in_from(
        self, conn: AsyncConnection
    ) -> None:
        # given the owner signed in from B once, then a campaign over many addresses
        account = throttle.user_account("owner@example.org")
        await _wait(conn, account, B, NOW)
        await throttle.record_success(conn, account, B, now=NOW)
        moment = NOW + timedelta(minutes=1)
        for n in range(throttle.ACCOUNT_FREE_FAILURES + 1):
            await _fail(conn, account, f"10.0.{n // 250}.{n % 250}", moment)
        # then a new address waits for the account-wide delay, the owner's address does not
        assert await _wait(conn, account, "192.0.2.1", moment) == 2
        assert await _wait(conn, account, B, moment) == 0

    async def test_clear_lifts_every_delay(self, conn: AsyncConnection) -> None:
        account = throttle.user_account("z@example.org")
        for i in range(6):
            await _fail(conn, account, A, NOW + timedelta(seconds=i))
        assert await _wait(conn, account, A, NOW + timedelta(seconds=6)) > 0
        assert await throttle.clear(conn, account) == 2  # A's row and the account-wide row
        assert await _wait(conn, account, A, NOW + timedelta(seconds=6)) == 0
        rows = await conn.execute(
            sa.select(models.LoginThrottle.failures).where(models.LoginThrottle.account == account)
        )
        assert set(rows.scalars()) == {0}


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
