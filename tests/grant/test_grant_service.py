"""Grant administration: create, list with status, revoke (service against the real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.grant import service
from lnob_api.grant.service import GrantStatus

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def world(conn: AsyncConnection) -> dict[str, Any]:
    """A coalition with a dataset, another coalition's dataset, an organisation and a client."""
    coalition = await factories.create_coalition(conn)
    other = await factories.create_coalition(conn)
    organisation = await factories.create_organisation(conn)
    return {
        "coalition": coalition,
        "dataset": await factories.create_dataset(conn, coalition, visibility="COALITION"),
        "foreign_dataset": await factories.create_dataset(conn, other),
        "organisation": organisation,
        "client": await factories.create_client(conn, organisation),
    }


class TestParseExpiry:
    def test_a_date_lasts_through_that_day_in_utc(self) -> None:
        assert service.parse_expiry("2027-01-31") == datetime(2027, 2, 1, tzinfo=UTC)

    def test_a_date_and_time_keeps_its_offset_or_is_utc(self) -> None:
        assert service.parse_expiry("2027-01-31T18:00+03:00") == datetime(
            2027, 1, 31, 15, 0, tzinfo=UTC
        )
        assert service.parse_expiry("2027-01-31T18:00") == datetime(2027, 1, 31, 18, tzinfo=UTC)
        assert service.parse_expiry("2027-01-31T18:00:00Z") == datetime(2027, 1, 31, 18, tzinfo=UTC)

    @pytest.mark.parametrize("text", ["tomorrow", "31/01/2027", "2027-02-30", ""])
    def test_refuses_anything_else(self, text: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            service.parse_expiry(text)
        assert caught.value.field == "expires"


class TestCreateGrant:
    async def test_opens_all_of_a_coalition_to_an_organisation(
        self, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        # when
        grant = await service.create_grant(
            conn,
            coalition_code=world["coalition"]["code"].lower(),
            organisation_slug=world["organisation"]["slug"],
            note=" statistics review ",
            now=NOW,
        )
        # then
        assert (grant.coalition_code, grant.dataset_slug) == (world["coalition"]["code"], None)
        assert grant.grantee == f"organisation:{world['organisation']['slug']}"
        assert (grant.expires_at, grant.revoked_at, grant.note) == (None, None, "statistics review")
        assert service.grant_status(grant, NOW) is GrantStatus.ACTIVE

    async def test_opens_one_dataset_to_a_client_until_a_moment(
        self, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        expires = NOW + timedelta(days=30)
        grant = await service.create_grant(
            conn,
            coalition_code=world["coalition"]["code"],
            client_id=world["client"]["client_id"],
            dataset_slug=world["dataset"]["slug"],
            expires_at=expires,
            now=NOW,
        )
        assert grant.dataset_slug == world["dataset"]["slug"]
        assert grant.grantee == f"client:{world['client']['client_id']}"
        assert grant.expires_at == expires
        assert service.grant_status(grant, expires) is GrantStatus.EXPIRED

    async def test_refuses_a_dataset_of_another_coalition(
        self, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        with pytest.raises(InvalidInput, match="does not belong") as caught:
            await service.create_grant(
                conn,
                coalition_code=world["coalition"]["code"],
                organisation_slug=world["organisation"]["slug"],
                dataset_slug=world["foreign_dataset"]["slug"],
            )
        assert caught.value.field == "dataset"

    @pytest.mark.parametrize("delta", [timedelta(0), timedelta(days=-1)])
    async def test_refuses_an_expiry_not_in_the_future(
        self, conn: AsyncConnection, world: dict[str, Any], delta: timedelta
    ) -> None:
        with pytest.raises(InvalidInput, match="future"):
            await service.create_grant(
                conn,
                coalition_code=world["coalition"]["code"],
                organisation_slug=world["organisation"]["slug"],
                expires_at=NOW + delta,
                now=NOW,
            )

    @pytest.mark.parametrize("grantees", [{}, {"organisation_slug": "x", "client_id": "y"}])
    async def test_needs_exactly_one_grantee(
        self, conn: AsyncConnection, world: dict[str, Any], grantees: dict[str, Any]
    ) -> None:
        with pytest.raises(InvalidInput, match="exactly one grantee"):
            await service.create_grant(conn, coalition_code=world["coalition"]["code"], **grantees)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"coalition_code": "XX"}, "no coalition"),
            ({"organisation_slug": "nobody"}, "no organisation"),
            ({"organisation_slug": None, "client_id": "lnob_nobody"}, "no client"),
            ({"dataset_slug": "no-such-dataset"}, "no dataset"),
        ],
    )
    async def test_unknown_references_are_not_found(
        self, conn: AsyncConnection, world: dict[str, Any], overrides: dict[str, Any], message: str
    ) -> None:
        values = {
            "coalition_code": world["coalition"]["code"],
            "organisation_slug": world["organisation"]["slug"],
        } | overrides
        with pytest.raises(NotFound, match=message):
            await service.create_grant(conn, **values)

    async def test_refuses_a_revoked_client(
        self, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        gone = await factories.create_client(conn, world["organisation"], revoked_at=NOW)
        with pytest.raises(InvalidInput, match="is revoked"):
            await service.create_grant(
                conn, coalition_code=world["coalition"]["code"], client_id=gone["client_id"]
            )

    async def test_refuses_a_second_live_grant_of_the_same_reach(
        self, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        # given
        values = {
            "coalition_code": world["coalition"]["code"],
            "organisation_slug": world["organisation"]["slug"],
        }
        first = await service.create_grant(conn, **values)
        # when / then
        with pytest.raises(Conflict, match=f"grant {first.id} already"):
            await service.create_grant(conn, **values)
        # but a narrower grant, or a new one after revocation, is fine
        await service.create_grant(conn, **values, dataset_slug=world["dataset"]["slug"])
        await service.revoke_grant(conn, first.id)
        await service.create_grant(conn, **values)


class TestGrantAndVisibility:
    async def test_a_grant_opens_the_dataset_until_it_is_revoked(
        self, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        # given a client outside the coalition, with data:read
        client = Principal(
            kind=PrincipalKind.CLIENT,
            client_pk=world["client"]["id"],
            client_id=world["client"]["client_id"],
            organisation_ids=frozenset({world["organisation"]["id"]}),
            scopes=frozenset({"data:read"}),
        )
        datasets = visibility.datasets
        seen = sa.select(datasets.c.id).where(
            datasets.c.id == world["dataset"]["id"], visibility.dataset_visible(client)
        )
        assert (await conn.execute(seen)).first() is None
        # when the coalition grants it that dataset
        grant = await service.create_grant(
            conn,
            coalition_code=world["coalition"]["code"],
            client_id=world["client"]["client_id"],
            dataset_slug=world["dataset"]["slug"],
        )
        # then the client sees it, and no longer once the grant is revoked
        assert (await conn.execute(seen)).first() is not None
        await service.revoke_grant(conn, grant.id)
        assert (await conn.execute(seen)).first() is None


class TestListGrants:
    async def test_lists_every_status_and_filters_by_coalition(
        self, conn: AsyncConnection, world: dict[str, Any]
    ) -> None:
        # given an active, an expired and a revoked grant, and one in another coalition (the
        # expired one was closed at its expiry, as creating the active one does)
        coalition, organisation = world["coalition"], world["organisation"]
        active = await factories.create_grant(conn, coalition, organisation_id=organisation["id"])
        expired = await factories.create_grant(
            conn,
            coalition,
            organisation_id=organisation["id"],
            expires_at=NOW - timedelta(1),
            revoked_at=NOW - timedelta(1),
        )
        revoked = await factories.create_grant(
            conn, coalition, client_id=world["client"]["id"], revoked_at=NOW - timedelta(2)
        )
        other = await factories.create_coalition(conn)
        await factories.create_grant(conn, other, organisation_id=organisation["id"])
        # when
        listed = await service.list_grants(conn, coalition_code=coalition["code"])
        # then
        statuses = {g.id: service.grant_status(g, NOW) for g in listed}
        assert statuses == {
            active["id"]: GrantStatus.ACTIVE,
            expired["id"]: GrantStatus.EXPIRED,
            revoked["id"]: GrantStatus.REVOKED,
        }
        assert len(await service.list_grants(conn)) >= 4

    async def test_unknown_coalition_is_not_found(self, conn: AsyncConnection) -> None:
        with pytest.raises(NotFound):
            await service.list_grants(conn, coalition_code="XX")


class TestRevokeGrant:
    async def test_revokes_once(self, conn: AsyncConnection, world: dict[str, Any]) -> None:
        # given
        grant = await factories.create_grant(
            conn, world["coalition"], organisation_id=world["organisation"]["id"]
        )
        # when
        revoked = await service.revoke_grant(conn, grant["id"], now=NOW)
        # then
        assert revoked.revoked_at == NOW
        assert service.grant_status(revoked, NOW) is GrantStatus.REVOKED
        with pytest.raises(Conflict, match="already revoked"):
            await service.revoke_grant(conn, grant["id"])

    async def test_unknown_grant_is_not_found(self, conn: AsyncConnection) -> None:
        with pytest.raises(NotFound, match="no grant with id 0"):
            await service.revoke_grant(conn, 0)
