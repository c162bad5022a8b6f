"""User administration: create with memberships and roles, list (service against the database)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories

from lnob_api import models
from lnob_api.auth.secrets import verify_password
from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.models.enums import CoalitionRole
from lnob_api.user import service

PASSWORD = "correct horse battery"


async def _stored(conn: AsyncConnection, user_id: int) -> sa.RowMapping:
    users = models.User.__table__
    stmt = sa.select(users).where(users.c.id == user_id)
    return (await conn.execute(stmt)).mappings().one()


class TestParseCoalitionRoles:
    def test_reads_codes_and_roles_in_any_case(self) -> None:
        assert service.parse_coalition_roles(["ke:editor", "NP:Viewer"]) == {
            "KE": CoalitionRole.EDITOR,
            "NP": CoalitionRole.VIEWER,
        }

    @pytest.mark.parametrize("text", ["KE", "KE:", ":ADMIN", "KE:BOSS"])
    def test_refuses_malformed_or_unknown_roles(self, text: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            service.parse_coalition_roles([text])
        assert caught.value.field == "coalition"

    def test_refuses_one_coalition_with_two_roles(self) -> None:
        with pytest.raises(InvalidInput, match="given twice"):
            service.parse_coalition_roles(["KE:VIEWER", "ke:ADMIN"])


class TestCreateUser:
    async def test_stores_an_argon2_hash_memberships_and_roles(self, conn: AsyncConnection) -> None:
        # given
        organisation = await factories.create_organisation(conn)
        # when
        user_id = await service.create_user(
            conn,
            email=" ana@example.org ",
            name="Ana",
            password=PASSWORD,
            organisation_slugs=[organisation["slug"]],
            coalition_roles={"KE": CoalitionRole.EDITOR, "np": "viewer"},
            partnership_admin=True,
        )
        # then
        stored = await _stored(conn, user_id)
        assert stored["email"] == "ana@example.org"
        assert stored["password_hash"].startswith("$argon2id$")
        assert PASSWORD not in stored["password_hash"]
        assert verify_password(stored["password_hash"], PASSWORD)
        assert stored["is_partnership_admin"] is True
        listed = {u.id: u for u in await service.list_users(conn)}[user_id]
        assert listed.organisations == (organisation["slug"],)
        assert listed.roles == ("KE:EDITOR", "NP:VIEWER")

    async def test_a_plain_user_has_no_memberships(self, conn: AsyncConnection) -> None:
        user_id = await service.create_user(
            conn, email="plain@example.org", name="Plain", password=PASSWORD
        )
        listed = {u.id: u for u in await service.list_users(conn)}[user_id]
        assert (listed.organisations, listed.roles, listed.is_partnership_admin) == ((), (), False)

    async def test_refuses_an_e_mail_in_use_whatever_its_case(self, conn: AsyncConnection) -> None:
        # given
        await factories.create_user(conn, email="taken@example.org")
        # when / then
        with pytest.raises(Conflict, match="already exists"):
            await service.create_user(
                conn, email="Taken@Example.org", name="Again", password=PASSWORD
            )

    async def test_refuses_a_short_password(self, conn: AsyncConnection) -> None:
        with pytest.raises(InvalidInput, match="at least 10 characters") as caught:
            await service.create_user(
                conn, email="short@example.org", name="Short", password="123456789"
            )
        assert caught.value.field == "password"

    @pytest.mark.parametrize(
        ("email", "name", "field"),
        [("not-an-address", "Name", "email"), ("a@b", "Name", "email"), ("ok@x.org", " ", "name")],
    )
    async def test_refuses_bad_e_mail_or_name(
        self, conn: AsyncConnection, email: str, name: str, field: str
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            await service.create_user(conn, email=email, name=name, password=PASSWORD)
        assert caught.value.field == field

    async def test_unknown_organisation_is_not_found(self, conn: AsyncConnection) -> None:
        with pytest.raises(NotFound, match="no organisation with slug 'nobody'"):
            await service.create_user(
                conn,
                email="lost@example.org",
                name="Lost",
                password=PASSWORD,
                organisation_slugs=["nobody"],
            )

    async def test_unknown_coalition_is_not_found(self, conn: AsyncConnection) -> None:
        with pytest.raises(NotFound, match="'XX'"):
            await service.create_user(
                conn,
                email="lost@example.org",
                name="Lost",
                password=PASSWORD,
                coalition_roles={"XX": "VIEWER"},
            )


class TestListUsers:
    async def test_lists_by_id_without_password_hashes(self, conn: AsyncConnection) -> None:
        # given
        first = await factories.create_user(conn, password_hash="$argon2id$secret-hash")
        second = await factories.create_user(conn)
        # when
        listed = await service.list_users(conn)
        # then
        ids = [u.id for u in listed]
        assert ids == sorted(ids) and {first["id"], second["id"]} <= set(ids)
        assert all("secret-hash" not in repr(u) for u in listed)
        assert not hasattr(listed[0], "password_hash")
