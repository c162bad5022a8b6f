"""Organisation administration: create and list (service against the real database)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories

from lnob_api.errors import Conflict, InvalidInput, NotFound
from lnob_api.models.enums import OrganisationKind
from lnob_api.organisation import service


class TestCreateOrganisation:
    async def test_creates_with_kind_and_country(self, conn: AsyncConnection) -> None:
        # when
        created = await service.create_organisation(
            conn,
            slug="knbs",
            name=" Kenya National Bureau of Statistics ",
            kind="statistics_agency",
            country_code="ke",
        )
        # then
        found = await service.organisation_by_slug(conn, "knbs")
        assert found == created
        assert (created.name, created.kind, created.country_code) == (
            "Kenya National Bureau of Statistics",
            OrganisationKind.STATISTICS_AGENCY,
            "KE",
        )

    async def test_defaults_to_other_without_country(self, conn: AsyncConnection) -> None:
        created = await service.create_organisation(conn, slug="someone", name="Someone")
        assert (created.kind, created.country_code) == ("OTHER", None)

    async def test_refuses_a_taken_slug(self, conn: AsyncConnection) -> None:
        # given
        await factories.create_organisation(conn, slug="taken")
        # when / then
        with pytest.raises(Conflict, match="already exists"):
            await service.create_organisation(conn, slug="taken", name="Again")

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"slug": "Not_A_Slug"}, "slug"),
            ({"slug": "-leading"}, "slug"),
            ({"slug": "x" * 81}, "slug"),
            ({"name": "  "}, "name"),
            ({"kind": "CHARITY"}, "kind"),
            ({"country_code": "ZZ"}, "country"),
            ({"country_code": "KE-30"}, "country"),
        ],
    )
    async def test_refuses_bad_input(
        self, conn: AsyncConnection, overrides: dict[str, str], field: str
    ) -> None:
        values = {"slug": "fine-slug", "name": "Fine"} | overrides
        with pytest.raises(InvalidInput) as caught:
            await service.create_organisation(conn, **values)
        assert caught.value.field == field


class TestOrganisationBySlug:
    async def test_unknown_slug_is_not_found(self, conn: AsyncConnection) -> None:
        with pytest.raises(NotFound, match="no organisation with slug 'nobody'"):
            await service.organisation_by_slug(conn, "nobody")


class TestListOrganisations:
    async def test_lists_by_slug_with_user_and_client_counts(self, conn: AsyncConnection) -> None:
        # given
        zeta = await factories.create_organisation(conn, slug="zeta-org")
        alpha = await factories.create_organisation(conn, slug="alpha-org")
        user = await factories.create_user(conn)
        await factories.join_organisation(conn, user, alpha)
        await factories.create_client(conn, alpha)
        await factories.create_client(conn, alpha)
        # when
        listed = await service.list_organisations(conn)
        # then
        slugs = [o.slug for o in listed]
        assert slugs == sorted(slugs)
        by_slug = {o.slug: o for o in listed}
        assert (by_slug["alpha-org"].users, by_slug["alpha-org"].clients) == (1, 2)
        assert (by_slug["zeta-org"].users, by_slug["zeta-org"].clients) == (0, 0)
        assert by_slug["zeta-org"].id == zeta["id"]
