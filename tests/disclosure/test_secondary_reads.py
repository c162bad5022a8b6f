"""Secondary suppression end to end: publish through GraphQL, then read as outsiders and insiders."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, gql, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.disclosure import service as disclosure
from lnob_api.graphql.ids import to_global_id

PUBLISH = """
mutation($input: DatasetPublishInput!) {
  datasetPublish(input: $input) { dataset { status } userErrors { field code message } }
}
"""

OBSERVATIONS = """
query($slug: String!) { dataset(slug: $slug) {
  observations(first: 10) { nodes { id sex value suppressed sampleSize } }
} }
"""

NODE = "query($id: ID!) { node(id: $id) { ... on Observation { value suppressed } } }"

EXPORT = "/exports/observations.csv"

# The total (100 people), a small category and its complement.
CELLS = {"_T": (100, 30.0), "F": (3, 1.0), "M": (97, 29.0)}


class World:
    def __init__(self, conn: AsyncConnection, client: httpx.AsyncClient, keys: KeyStore) -> None:
        self.conn, self.client, self.keys = conn, client, keys
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        frontend = await f.create_client(self.conn, org)
        for role in ("EDITOR", "VIEWER"):
            user = await f.create_user(self.conn)
            await f.give_role(self.conn, user, self.coalition, role)
            token = token_for(
                self.keys, client=frontend, user=user, scopes=("data:read", "data:write")
            )
            self.headers[role] = bearer(token)
        other = await f.create_coalition(self.conn)
        outsider = await f.create_user(self.conn)
        await f.give_role(self.conn, outsider, other, "ADMIN")
        self.headers["other_coalition"] = bearer(
            token_for(self.keys, client=frontend, user=outsider, scopes=("data:read",))
        )
        self.draft = await f.create_dataset(self.conn, self.coalition, status="DRAFT")
        self.rows = {
            sex: await f.create_observation(
                self.conn, self.draft, sex=sex, sample_size=n, value=value, unit="NUMBER"
            )
            for sex, (n, value) in CELLS.items()
        }
        return self

    async def publish(self) -> None:
        variables = {
            "input": {
                "id": to_global_id("Dataset", self.draft["id"]),
                "rowVersion": self.draft["row_version"],
            }
        }
        body = await gql(self.client, PUBLISH, variables, headers=self.headers["EDITOR"])
        assert "errors" not in body, body
        assert body["data"]["datasetPublish"]["userErrors"] == [], body
        assert body["data"]["datasetPublish"]["dataset"]["status"] == "PUBLISHED"

    async def read(self, who: str) -> dict[str, tuple[float | None, bool, int | None]]:
        body = await gql(
            self.client, OBSERVATIONS, {"slug": self.draft["slug"]}, headers=self.headers[who]
        )
        assert "errors" not in body, body
        nodes = body["data"]["dataset"]["observations"]["nodes"]
        return {n["sex"]: (n["value"], n["suppressed"], n["sampleSize"]) for n in nodes}

    async def flags(self) -> dict[str, bool]:
        o = models.Observation.__table__
        rows = await self.conn.execute(
            sa.select(o.c.sex, o.c.secondary_suppressed).where(o.c.dataset_id == self.draft["id"])
        )
        return {sex: flag for sex, flag in rows}


@pytest.fixture
async def world(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> World:
    return await World(conn, client, signing_keys).build()


HIDDEN = (None, True, None)
ALL_SHOWN = {"_T": (30.0, False, 100), "F": (1.0, False, 3), "M": (29.0, False, 97)}


class TestPublish:
    async def test_publishing_flags_the_complement(self, world: World) -> None:
        # when
        await world.publish()
        # then
        assert await world.flags() == {"_T": False, "F": False, "M": True}

    @pytest.mark.parametrize("who", ["anonymous", "other_coalition"])
    async def test_outsiders_see_the_total_and_neither_category(
        self, world: World, who: str
    ) -> None:
        # given
        await world.publish()
        # when
        seen = await world.read(who)
        # then: M would give F away as 30 - 29
        assert seen == {"_T": (30.0, False, 100), "F": HIDDEN, "M": HIDDEN}

    async def test_an_insider_sees_all_three(self, world: World) -> None:
        # given
        await world.publish()
        # when / then
        assert await world.read("VIEWER") == ALL_SHOWN

    async def test_the_complement_is_masked_on_every_path(self, world: World) -> None:
        # given
        await world.publish()
        complement = to_global_id("Observation", world.rows["M"]["id"])
        # when
        by_node = await gql(world.client, NODE, {"id": complement})
        exported = await world.client.get(EXPORT, params={"dataset": world.draft["slug"]})
        # then
        assert by_node["data"]["node"] == {"value": None, "suppressed": True}
        assert exported.status_code == 200, exported.text
        rows = {r["sex"]: r for r in csv.DictReader(io.StringIO(exported.text))}
        # outsiders get C for the complement too: C and D apart would point at the small one
        assert (rows["M"]["value"], rows["M"]["sample_size"], rows["M"]["conf_status"]) == (
            "",
            "",
            "C",
        )
        assert (rows["F"]["value"], rows["F"]["conf_status"]) == ("", "C")  # the small cell
        assert (rows["_T"]["value"], rows["_T"]["conf_status"]) == ("30", "F")


class TestRecompute:
    async def test_a_lower_threshold_releases_the_complement(self, world: World) -> None:
        # given: published, then the coalition lowers its threshold under the small cell
        # (the small cell counts 1 person, and a count is its group's size: only a threshold
        # of 1 releases it)
        await world.publish()
        coalitions = models.Coalition.__table__
        await world.conn.execute(
            sa.update(coalitions)
            .where(coalitions.c.id == world.coalition["id"])
            .values(suppression_threshold=1)
        )
        # when
        outcome = await disclosure.recompute_coalition(world.conn, world.coalition["id"])
        # then
        assert [(o.dataset_id, o.flagged, o.changed) for o in outcome] == [
            (world.draft["id"], 0, 1)
        ]
        assert await world.read("anonymous") == ALL_SHOWN

    async def test_recomputing_again_changes_nothing(self, world: World) -> None:
        # given
        await world.publish()
        # when
        again = await disclosure.recompute(world.conn, world.draft["id"])
        # then
        assert (again.flagged, again.changed) == (1, 0)
        assert await world.flags() == {"_T": False, "F": False, "M": True}
