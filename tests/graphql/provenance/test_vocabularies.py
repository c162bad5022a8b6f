"""Country vocabularies of marginalised groups: who keeps which vocabulary, the mapping to
standard dimensions round trip, and the marginalisedGroups(country:) filter."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.provenance.provenance_world import World, errors, forbidden, mutation

from lnob_api.auth.keys import KeyStore

GROUP = (
    "marginalisedGroup { id code name description rowVersion coalition { code } "
    "mapsTo { dimension code } }"
)
CREATE = mutation("marginalisedGroupCreate", GROUP)
UPDATE = mutation("marginalisedGroupUpdate", GROUP)
COALITION = """
query($code: String!) { coalition(code: $code) { groups { code mapsTo { dimension code } } } }
"""
LIST = """
query($country: String, $shared: Boolean! = true) {
  marginalisedGroups(country: $country, includeShared: $shared, first: 100) {
    nodes { code coalition { code } }
  }
}
"""
THIRD_GENDER = [{"dimension": "SEX", "code": "_O"}]


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await World(client, conn, signing_keys).build()


async def _create(world: World, as_: str = "EDITOR", **fields: Any) -> dict[str, Any]:
    input = {"coalition": world.coalition["code"], "code": "XX_THIRD_GENDER", "name": "Hijra"}
    payload = await world.payload(CREATE, input | fields, as_)
    assert payload["userErrors"] == [], payload
    created: dict[str, Any] = payload["marginalisedGroup"]
    return created


class TestCreate:
    async def test_editor_adds_to_their_vocabulary_with_a_mapping(self, world: World) -> None:
        # when
        created = await _create(
            world,
            code=" xx_third_gender ",
            description="Recognised in law since 2013",
            mapsTo=[{"dimension": "SEX", "code": " _O "}],
        )
        # then
        assert created["code"] == "XX_THIRD_GENDER"
        assert created["coalition"] == {"code": world.coalition["code"]}
        assert created["mapsTo"] == THIRD_GENDER
        listed = await world.data(COALITION, {"code": world.coalition["code"]}, as_=None)
        assert listed["coalition"]["groups"] == [
            {"code": "XX_THIRD_GENDER", "mapsTo": THIRD_GENDER}
        ]
        [(action, _, after)] = await world.audit("MarginalisedGroup")
        assert (action, after["maps_to"]) == ("marginalised_group.create", THIRD_GENDER)

    async def test_no_mapping_by_default(self, world: World) -> None:
        # people with albinism: not a disability unless the coalition says so
        created = await _create(world, code="XX_ALBINISM", name="People with albinism")
        assert created["mapsTo"] == []

    async def test_several_dimensions(self, world: World) -> None:
        pairs = [
            {"dimension": "SEX", "code": "F"},
            {"dimension": "AGE", "code": "Y_GE60"},
            {"dimension": "URBANISATION", "code": "R"},
        ]
        created = await _create(world, code="XX_OLDER_RURAL_WOMEN", mapsTo=pairs)
        assert created["mapsTo"] == pairs

    async def test_partnership_admin_keeps_the_shared_vocabulary(self, world: World) -> None:
        payload = await world.payload(
            CREATE, {"code": "STREET_DWELLERS", "name": "Street dwellers"}, "PARTNERSHIP"
        )
        assert payload["userErrors"] == []
        assert payload["marginalisedGroup"]["coalition"] is None

    async def test_partnership_admin_may_edit_a_country_vocabulary(self, world: World) -> None:
        created = await _create(world, as_="PARTNERSHIP")
        assert created["coalition"] == {"code": world.coalition["code"]}

    @pytest.mark.parametrize(
        "who", ["VIEWER", "OTHER_EDITOR", "OTHER_ADMIN", "EDITOR_READ_ONLY", None]
    )
    async def test_forbidden_outside_ones_own_vocabulary(
        self, world: World, who: str | None
    ) -> None:
        body = await world.call(
            CREATE,
            {"input": {"coalition": world.coalition["code"], "code": "XX_A", "name": "A"}},
            as_=who,
        )
        forbidden(body)

    @pytest.mark.parametrize("who", ["EDITOR", "ADMIN"])
    async def test_only_partnership_admins_add_shared_groups(self, world: World, who: str) -> None:
        body = await world.call(CREATE, {"input": {"code": "XX_A", "name": "A"}}, as_=who)
        forbidden(body)

    async def test_user_errors(self, world: World) -> None:
        payload = await world.payload(
            CREATE,
            {
                "coalition": world.coalition["code"],
                "code": "DALITS",  # already in the shared vocabulary
                "name": "Dalit",
                "mapsTo": [
                    {"dimension": "SEX", "code": "_T"},
                    {"dimension": "AGE", "code": "Y15T24"},
                    {"dimension": "AGE", "code": "Y25T34"},
                    {"dimension": "DISABILITY_STATUS", "code": "no spaces"},
                ],
            },
            "EDITOR",
        )
        assert payload["marginalisedGroup"] is None
        assert errors(payload) == {
            (("input", "mapsTo", "0", "code"), "INVALID_CODE"),
            (("input", "mapsTo", "2", "dimension"), "INVALID"),
            (("input", "mapsTo", "3", "code"), "INVALID_CODE"),
        }
        again = await world.payload(
            CREATE,
            {"coalition": world.coalition["code"], "code": "DALITS", "name": "Dalit"},
            "EDITOR",
        )
        assert errors(again) == {(("input", "code"), "NOT_UNIQUE")}


class TestUpdate:
    async def test_mapping_is_replaced_then_cleared(self, world: World) -> None:
        # given
        created = await _create(world, mapsTo=THIRD_GENDER)
        # when
        replaced = await world.payload(
            UPDATE,
            {
                "id": created["id"],
                "rowVersion": created["rowVersion"],
                "name": "Third gender",
                "mapsTo": [{"dimension": "SEX", "code": "_U"}],
            },
            "EDITOR",
        )
        group = replaced["marginalisedGroup"]
        cleared = await world.payload(
            UPDATE, {"id": group["id"], "rowVersion": group["rowVersion"], "mapsTo": None}, "EDITOR"
        )
        # then
        assert (group["name"], group["mapsTo"], group["rowVersion"]) == (
            "Third gender",
            [{"dimension": "SEX", "code": "_U"}],
            created["rowVersion"] + 1,
        )
        assert cleared["marginalisedGroup"]["mapsTo"] == []
        assert cleared["marginalisedGroup"]["name"] == "Third gender"
        actions = [a for a, _, _ in await world.audit("MarginalisedGroup")]
        assert actions == ["marginalised_group.create", *["marginalised_group.update"] * 2]

    async def test_stale_row_version(self, world: World) -> None:
        created = await _create(world)
        payload = await world.payload(
            UPDATE, {"id": created["id"], "rowVersion": 99, "name": "x"}, "EDITOR"
        )
        assert errors(payload) == {((), "CONFLICT")}

    async def test_other_coalitions_editors_are_forbidden(self, world: World) -> None:
        created = await _create(world)
        body = await world.call(
            UPDATE,
            {"input": {"id": created["id"], "rowVersion": created["rowVersion"], "name": "x"}},
            as_="OTHER_EDITOR",
        )
        forbidden(body)


class TestCountryFilter:
    async def test_a_country_vocabulary_with_or_without_the_shared_one(self, world: World) -> None:
        # given
        await _create(world, code="XX_MADHESI", name="Madhesi")
        await _create(world, as_="OTHER_EDITOR", coalition=world.other["code"], code="YY_A")
        # when
        mine = await world.data(LIST, {"country": world.coalition["code"].lower()}, as_=None)
        only = await world.data(
            LIST, {"country": world.coalition["code"], "shared": False}, as_=None
        )
        everyone = await world.data(LIST, {"shared": False}, as_=None)
        # then
        codes = [n["code"] for n in mine["marginalisedGroups"]["nodes"]]
        assert "XX_MADHESI" in codes and "PERSONS_WITH_DISABILITIES" in codes
        assert "YY_A" not in codes
        assert [n["code"] for n in only["marginalisedGroups"]["nodes"]] == ["XX_MADHESI"]
        assert {n["code"] for n in everyone["marginalisedGroups"]["nodes"]} >= {
            "XX_MADHESI",
            "YY_A",
        }
        assert all(n["coalition"] is not None for n in everyone["marginalisedGroups"]["nodes"])
