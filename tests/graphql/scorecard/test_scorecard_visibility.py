"""Who sees a scorecard: its own visibility, capped by its dataset's data and its project;
an unseen scorecard looks missing on every path (lookup, node, list, count, nested parts)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.graphql.scorecard.evidence_world import World, gid

from lnob_api import models
from lnob_api.auth.keys import KeyStore

CREATE = "mutation($input: ScorecardCreateInput!) { scorecardCreate(input: $input) { scorecard { id } userErrors { field code message } } }"
CRITERION = "mutation($input: ScorecardCriterionAddInput!) { scorecardCriterionAdd(input: $input) { criterion { id } userErrors { code } } }"
SCORES = "mutation($input: ScorecardScoresRecordInput!) { scorecardScoresRecord(input: $input) { round { id } userErrors { code } } }"
ACTION = "mutation($input: ScorecardActionAddInput!) { scorecardActionAdd(input: $input) { action { id } userErrors { code } } }"
READ = """
query($id: ID!, $ids: [ID!]!) {
  scorecard(id: $id) { title rounds { period scores { communityScore } } actions { text } }
  node(id: $id) { id }
  nodes(ids: $ids) { id }
  scorecards { totalCount nodes { title } }
}
"""


class Cards(World):
    async def scorecard(self, as_: str = "ADMIN", **fields: Any) -> dict[str, str]:
        """A scorecard with one criterion, one round of scores and one action."""
        variables = {
            "input": {
                "coalition": self.country,
                "title": "Water point scorecard",
                "service": "Water point",
                "area": self.area,
                "period": "2020",
            }
            | fields
        }
        card = (await self.ok(CREATE, variables, as_))["scorecardCreate"]["scorecard"]
        criterion = (
            await self.ok(
                CRITERION, {"input": {"scorecard": card["id"], "label": "Queue", "target": "6.1"}}
            )
        )["scorecardCriterionAdd"]["criterion"]
        round_ = (
            await self.ok(
                SCORES,
                {
                    "input": {
                        "scorecard": card["id"],
                        "period": "2020-Q1",
                        "scores": [{"criterion": criterion["id"], "communityScore": 2}],
                    }
                },
            )
        )["scorecardScoresRecord"]["round"]
        action = (
            await self.ok(
                ACTION,
                {"input": {"scorecard": card["id"], "text": "Second tap", "ownerName": "Ward"}},
            )
        )["scorecardActionAdd"]["action"]
        return {"card": card["id"], "round": round_["id"], "action": action["id"]}

    async def read(self, ids: dict[str, str], as_: str | None) -> dict[str, Any]:
        body = await self.call(READ, {"id": ids["card"], "ids": list(ids.values())}, as_)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> Cards:
    return await Cards(client, conn, signing_keys).build()


def _missing(data: dict[str, Any], n: int) -> None:
    assert data["scorecard"] is None
    assert data["node"] is None
    assert data["nodes"] == [None] * n
    assert data["scorecards"] == {"totalCount": 0, "nodes": []}


class TestCoalitionScorecard:
    async def test_invisible_to_anonymous_and_outsiders_and_looks_missing(
        self, world: Cards
    ) -> None:
        # given
        ids = await world.scorecard()
        # when / then
        for who in (None, "OUTSIDER", "PARTNERSHIP_ADMIN"):
            _missing(await world.read(ids, who), 3)
        inside = await world.read(ids, "VIEWER")
        assert inside["scorecard"] == {
            "title": "Water point scorecard",
            "rounds": [{"period": "2020-Q1", "scores": [{"communityScore": 2.0}]}],
            "actions": [{"text": "Second tap"}],
        }
        assert [n is not None for n in inside["nodes"]] == [True, True, True]
        assert inside["scorecards"]["totalCount"] == 1

    async def test_a_coalition_wide_grant_opens_it(self, world: Cards) -> None:
        ids = await world.scorecard()
        other_org = await world.conn.scalar(
            sa.select(models.OrganisationUser.organisation_id).where(
                models.OrganisationUser.user_id == world.users["OUTSIDER"]["id"]
            )
        )
        await f.create_grant(world.conn, world.coalition, organisation_id=other_org)
        assert (await world.read(ids, "OUTSIDER"))["scorecard"] is not None


class TestCappedByParents:
    async def test_public_scorecard(self, world: Cards) -> None:
        ids = await world.scorecard(visibility="PUBLIC")
        data = await world.read(ids, None)
        assert data["scorecard"]["rounds"][0]["scores"] == [{"communityScore": 2.0}]
        assert all(n is not None for n in data["nodes"])

    async def test_public_scorecard_of_a_coalition_dataset_stays_inside(self, world: Cards) -> None:
        dataset = await f.create_dataset(world.conn, world.coalition, visibility="COALITION")
        ids = await world.scorecard(visibility="PUBLIC", dataset=gid("Dataset", dataset["id"]))
        _missing(await world.read(ids, None), 3)
        _missing(await world.read(ids, "OUTSIDER"), 3)
        assert (await world.read(ids, "VIEWER"))["scorecard"] is not None

    async def test_retracting_the_dataset_takes_the_scorecard_along(self, world: Cards) -> None:
        dataset = await f.create_dataset(world.conn, world.coalition, status="RETRACTED")
        ids = await world.scorecard(visibility="PUBLIC", dataset=gid("Dataset", dataset["id"]))
        _missing(await world.read(ids, None), 3)
        # the coalition's editors still see it, to manage it
        assert (await world.read(ids, "EDITOR"))["scorecard"] is not None

    async def test_partnership_scorecard_of_a_coalition_project(self, world: Cards) -> None:
        project = await f.create_project(world.conn, world.coalition, visibility="COALITION")
        ids = await world.scorecard(visibility="PARTNERSHIP", project=gid("Project", project["id"]))
        _missing(await world.read(ids, "OUTSIDER"), 3)
        public = await f.create_project(world.conn, world.coalition, visibility="PUBLIC")
        open_ids = await world.scorecard(
            visibility="PARTNERSHIP", project=gid("Project", public["id"]), title="Open"
        )
        seen = await world.read(open_ids, "OUTSIDER")
        assert seen["scorecard"]["title"] == "Open"
        assert seen["scorecards"]["totalCount"] == 1
        _missing(await world.read(open_ids, None), 3)


NESTED = """
{
  scorecards(first: 10) {
    nodes {
      title area { name } coalition { code }
      criteria { label target { code } scores { period agreedScore } }
      rounds { period scores { communityScore criterion { label } } }
      actions { text }
    }
  }
}
"""


class TestBatching:
    async def test_nested_reads_cost_the_same_for_one_or_three_scorecards(
        self, world: Cards, statements: Any
    ) -> None:
        # given
        await world.scorecard(visibility="PUBLIC")
        statements.count = 0
        one = await world.ok(NESTED, as_=None)
        few = statements.count
        await world.scorecard(visibility="PUBLIC", title="Second")
        await world.scorecard(visibility="PUBLIC", title="Third")
        # when
        statements.count = 0
        three = await world.ok(NESTED, as_=None)
        # then
        assert len(one["scorecards"]["nodes"]) == 1
        assert len(three["scorecards"]["nodes"]) == 3
        assert statements.count == few
