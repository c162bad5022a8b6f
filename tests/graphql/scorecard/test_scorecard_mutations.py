"""Scorecard mutations: the round trip (scorecard, criteria, two rounds, action plan), every
user error, FORBIDDEN and "not found" for scorecards the caller cannot see, audit events."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.graphql.scorecard.evidence_world import World, errors_of, gid

from lnob_api import models
from lnob_api.auth.keys import KeyStore

ERRORS = "userErrors { field code message }"
CARD = (
    "id title service areaCode period scaleMin scaleMax visibility rowVersion"
    " facilitator { name } project { title } dataset { title }"
)
CREATE = f"mutation($input: ScorecardCreateInput!) {{ scorecardCreate(input: $input) {{ scorecard {{ {CARD} }} {ERRORS} }} }}"
UPDATE = f"mutation($input: ScorecardUpdateInput!) {{ scorecardUpdate(input: $input) {{ scorecard {{ {CARD} }} {ERRORS} }} }}"
CRITERION = f"mutation($input: ScorecardCriterionAddInput!) {{ scorecardCriterionAdd(input: $input) {{ criterion {{ id position label targetCode target {{ code }} indicator {{ code }} }} scorecard {{ id }} {ERRORS} }} }}"
SCORES = f"mutation($input: ScorecardScoresRecordInput!) {{ scorecardScoresRecord(input: $input) {{ round {{ id period heldOn scores {{ communityScore providerScore agreedScore }} }} scorecard {{ id }} {ERRORS} }} }}"
ACTION_ADD = f"mutation($input: ScorecardActionAddInput!) {{ scorecardActionAdd(input: $input) {{ action {{ id text ownerName ownerOrganisation {{ name }} dueOn status rowVersion criterion {{ label }} }} {ERRORS} }} }}"
ACTION_UPDATE = f"mutation($input: ScorecardActionUpdateInput!) {{ scorecardActionUpdate(input: $input) {{ action {{ id text status rowVersion }} {ERRORS} }} }}"
READ = """
query($id: ID!) {
  scorecard(id: $id) {
    title
    criteria { label position targetCode scores { period communityScore agreedScore } }
    rounds {
      period heldOn
      scores { criterion { label } communityScore providerScore agreedScore gap note round { period } }
    }
    actions { text ownerName dueOn status criterion { label } scorecard { title } }
  }
}
"""
LIST = (
    "query($filter: ScorecardFilter) { scorecards(filter: $filter) { totalCount nodes { title } } }"
)


class Scorecards(World):
    async def create(self, as_: str = "EDITOR", **fields: Any) -> dict[str, Any]:
        data = await self.ok(CREATE, {"input": self.card_input(**fields)}, as_)
        card: dict[str, Any] = data["scorecardCreate"]["scorecard"]
        return card

    def card_input(self, **fields: Any) -> dict[str, Any]:
        return {
            "coalition": self.country,
            "title": "Kisumu health centre scorecard",
            "service": "Primary health centre",
            "area": self.area,
            "period": "2019",
        } | fields

    async def criterion(self, card: dict[str, Any], label: str, **fields: Any) -> str:
        data = await self.ok(
            CRITERION,
            {"input": {"scorecard": card["id"], "label": label, "target": "3.8"} | fields},
        )
        return str(data["scorecardCriterionAdd"]["criterion"]["id"])

    async def scores(self, card: dict[str, Any], period: str, scores: list[Any], **kw: Any) -> Any:
        return await self.call(
            SCORES, {"input": {"scorecard": card["id"], "period": period, "scores": scores} | kw}
        )


@pytest.fixture
async def world(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> Scorecards:
    return await Scorecards(client, conn, signing_keys).build()


def _score(criterion: str, community: Any, provider: Any, agreed: Any) -> dict[str, Any]:
    return {
        "criterion": criterion,
        "communityScore": community,
        "providerScore": provider,
        "agreedScore": agreed,
    }


class TestRoundTrip:
    async def test_scorecard_criteria_two_rounds_and_action_plan(self, world: Scorecards) -> None:
        # given: a scorecard of a ward's health centre, facilitated by a member organisation
        ward = await world.local_area(world.area, f"{world.area}-W1")
        facilitator = await f.create_organisation(world.conn, name="Kisumu CBO")
        card = await world.create(area=ward, facilitator=gid("Organisation", facilitator["id"]))
        staff = await world.criterion(card, "Staff attitude", description="Respectful care")
        drugs = await world.criterion(card, "Drug availability", indicator="3.8.1")
        # when: two rounds of scores (the later period recorded first) and a joint action plan
        second = await world.scores(
            card,
            "2019-Q3",
            [_score(staff, 3, 4, 3.5), _score(drugs, 2, 3, 2)],
            heldOn="2019-08-20",
        )
        first = await world.scores(
            card, "2019-Q1", [_score(staff, 1, 4, 2), _score(drugs, 1, None, None)]
        )
        action = (
            await world.ok(
                ACTION_ADD,
                {
                    "input": {
                        "scorecard": card["id"],
                        "text": "Restock essential medicines monthly",
                        "ownerName": "County pharmacist",
                        "ownerOrganisation": gid("Organisation", facilitator["id"]),
                        "dueOn": "2019-12-31",
                        "criterion": drugs,
                    }
                },
            )
        )["scorecardActionAdd"]["action"]
        done = (
            await world.ok(
                ACTION_UPDATE,
                {"input": {"id": action["id"], "rowVersion": 1, "status": "DONE"}},
            )
        )["scorecardActionUpdate"]["action"]
        # then: everything reads back side by side and over time
        assert card["areaCode"] == ward and card["facilitator"] == {"name": "Kisumu CBO"}
        assert (card["visibility"], card["scaleMin"], card["scaleMax"]) == ("COALITION", 1, 5)
        assert second["data"]["scorecardScoresRecord"]["round"]["heldOn"] == "2019-08-20"
        assert first["data"]["scorecardScoresRecord"]["userErrors"] == []
        assert (action["status"], action["criterion"]) == ("OPEN", {"label": "Drug availability"})
        assert action["ownerOrganisation"] == {"name": "Kisumu CBO"}
        assert (done["status"], done["rowVersion"]) == ("DONE", 2)
        read = (await world.ok(READ, {"id": card["id"]}))["scorecard"]
        assert [r["period"] for r in read["rounds"]] == ["2019-Q1", "2019-Q3"]
        assert read["rounds"][1]["scores"] == [
            {
                "criterion": {"label": "Staff attitude"},
                "communityScore": 3.0,
                "providerScore": 4.0,
                "agreedScore": 3.5,
                "gap": -1.0,
                "note": "",
                "round": {"period": "2019-Q3"},
            },
            {
                "criterion": {"label": "Drug availability"},
                "communityScore": 2.0,
                "providerScore": 3.0,
                "agreedScore": 2.0,
                "gap": -1.0,
                "note": "",
                "round": {"period": "2019-Q3"},
            },
        ]
        assert read["rounds"][0]["scores"][1]["gap"] is None
        assert [(c["label"], c["position"]) for c in read["criteria"]] == [
            ("Staff attitude", 1),
            ("Drug availability", 2),
        ]
        assert read["criteria"][0]["scores"] == [
            {"period": "2019-Q1", "communityScore": 1.0, "agreedScore": 2.0},
            {"period": "2019-Q3", "communityScore": 3.0, "agreedScore": 3.5},
        ]
        assert read["actions"] == [
            {
                "text": "Restock essential medicines monthly",
                "ownerName": "County pharmacist",
                "dueOn": "2019-12-31",
                "status": "DONE",
                "criterion": {"label": "Drug availability"},
                "scorecard": {"title": "Kisumu health centre scorecard"},
            }
        ]
        assert await world.audit("Scorecard") == [
            "scorecard.create",
            "scorecard.criterion_add",
            "scorecard.criterion_add",
            "scorecard.scores_record",
            "scorecard.scores_record",
        ]
        assert await world.audit("ScorecardAction") == [
            "scorecard.action_add",
            "scorecard.action_update",
        ]

    async def test_list_filters(self, world: Scorecards) -> None:
        # given
        ward = await world.local_area(world.area, f"{world.area}-W2")
        card = await world.create(area=ward, period="2020-Q2")
        await world.criterion(card, "Waiting time")
        await world.create(service="Primary school", period="2021")

        # when
        async def titles(**filter: Any) -> list[str]:
            data = await world.ok(LIST, {"filter": {"coalition": world.country} | filter})
            return [n["title"] for n in data["scorecards"]["nodes"]]

        # then: area includes the areas below it; target through criteria; service by words
        assert len(await titles()) == 2
        assert len(await titles(area=world.country)) == 2
        assert len(await titles(area=ward)) == 1
        assert len(await titles(target="3.8")) == 1
        assert await titles(target="4.1") == []
        assert len(await titles(service="health CENTRE")) == 1
        assert len(await titles(periodFrom="2020", periodTo="2020")) == 1
        assert len(await titles(periodFrom="2021")) == 1
        bad = await world.call(LIST, {"filter": {"periodFrom": "2020-Q5"}})
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


class TestUserErrors:
    async def test_create(self, world: Scorecards) -> None:
        project = await f.create_project(world.conn, world.other)
        body = await world.call(
            CREATE,
            {
                "input": world.card_input(
                    title="x" * 301,
                    service=" ",
                    area=world.other_area,
                    period="2019-13",
                    scaleMin=5,
                    scaleMax=1,
                    project=gid("Project", project["id"]),
                    facilitator=gid("Organisation", 999999),
                )
            },
        )
        payload = body["data"]["scorecardCreate"]
        assert payload["scorecard"] is None
        assert errors_of(payload) == {
            (("input", "title"), "TOO_LONG"),
            (("input", "service"), "REQUIRED"),
            (("input", "area"), "INVALID_CODE"),
            (("input", "period"), "INVALID_PERIOD"),
            (("input", "scaleMax"), "INVALID"),
            (("input", "project"), "NOT_FOUND"),
            (("input", "facilitator"), "NOT_FOUND"),
        }
        assert await world.count(models.Scorecard) == 0
        assert await world.audit("Scorecard") == []

    async def test_unknown_coalition_and_bad_ids(self, world: Scorecards) -> None:
        unknown = await world.call(CREATE, {"input": world.card_input(coalition="ZZ")})
        assert errors_of(unknown["data"]["scorecardCreate"]) == {
            (("input", "coalition"), "INVALID_CODE")
        }
        bad_id = await world.call(CREATE, {"input": world.card_input(project="nope")})
        assert errors_of(bad_id["data"]["scorecardCreate"]) == {
            (("input", "project"), "INVALID_ID")
        }

    async def test_update_conflict_rescale_and_visibility(self, world: Scorecards) -> None:
        card = await world.create()
        staff = await world.criterion(card, "Staff attitude")
        await world.scores(card, "2019", [_score(staff, 4, 5, 4)])
        stale = await world.call(UPDATE, {"input": {"id": card["id"], "rowVersion": 7}})
        assert errors_of(stale["data"]["scorecardUpdate"]) == {((), "CONFLICT")}
        rescale = await world.call(
            UPDATE, {"input": {"id": card["id"], "rowVersion": 1, "scaleMax": 3}}
        )
        assert errors_of(rescale["data"]["scorecardUpdate"]) == {
            (("input", "scaleMin"), "INVALID_STATE")
        }
        widened = await world.ok(
            UPDATE,
            {"input": {"id": card["id"], "rowVersion": 1, "scaleMin": 0, "scaleMax": 100}},
        )
        assert widened["scorecardUpdate"]["scorecard"]["scaleMax"] == 100
        assert widened["scorecardUpdate"]["scorecard"]["rowVersion"] == 2

    async def test_criterion(self, world: Scorecards) -> None:
        card = await world.create()
        await world.criterion(card, "Staff attitude")
        body = await world.call(
            CRITERION,
            {
                "input": {
                    "scorecard": card["id"],
                    "label": "staff ATTITUDE",
                    "target": "99.9",
                    "indicator": "1.1.1",
                }
            },
        )
        assert errors_of(body["data"]["scorecardCriterionAdd"]) == {
            (("input", "label"), "NOT_UNIQUE"),
            (("input", "target"), "INVALID_CODE"),
            (("input", "indicator"), "INVALID"),
        }
        wrong_target = await world.call(
            CRITERION,
            {
                "input": {
                    "scorecard": card["id"],
                    "label": "New",
                    "indicator": "1.1.1",
                    "target": "3.8",
                }
            },
        )
        assert errors_of(wrong_target["data"]["scorecardCriterionAdd"]) == {
            (("input", "indicator"), "INVALID")
        }
        missing = await world.call(
            CRITERION,
            {"input": {"scorecard": gid("Scorecard", 0), "label": "x", "target": "3.8"}},
        )
        assert errors_of(missing["data"]["scorecardCriterionAdd"]) == {
            (("input", "scorecard"), "NOT_FOUND")
        }

    async def test_scores(self, world: Scorecards) -> None:
        card = await world.create()
        empty = await world.scores(card, "2019", [])
        assert errors_of(empty["data"]["scorecardScoresRecord"]) == {
            (("input", "scorecard"), "INVALID_STATE")
        }
        staff = await world.criterion(card, "Staff attitude")
        drugs = await world.criterion(card, "Drug availability")
        other = await world.create(title="Another")
        foreign = await world.criterion(other, "Cleanliness")
        body = await world.scores(
            card,
            "2019-Q7",
            [_score(staff, 6, 0, None), _score(staff, 2, 2, 2), _score(foreign, 1, 1, 1)],
        )
        assert errors_of(body["data"]["scorecardScoresRecord"]) == {
            (("input", "period"), "INVALID_PERIOD"),
            (("input", "scores", "0", "communityScore"), "INVALID"),
            (("input", "scores", "0", "providerScore"), "INVALID"),
            (("input", "scores", "1", "criterion"), "NOT_UNIQUE"),
            (("input", "scores", "2", "criterion"), "NOT_FOUND"),
            (("input", "scores"), "REQUIRED"),
        }
        nothing = await world.scores(
            card, "2019", [_score(staff, None, None, None), _score(drugs, 1, 1, 1)]
        )
        assert errors_of(nothing["data"]["scorecardScoresRecord"]) == {
            (("input", "scores", "0"), "REQUIRED")
        }
        assert await world.count(models.ScorecardRound) == 0
        # a recorded period needs replace: true to be corrected
        good = [_score(staff, 2, 3, 2), _score(drugs, 1, 1, 1)]
        assert (await world.scores(card, "2019", good))["data"]["scorecardScoresRecord"][
            "userErrors"
        ] == []
        again = await world.scores(card, "2019", good)
        assert errors_of(again["data"]["scorecardScoresRecord"]) == {
            (("input", "period"), "NOT_UNIQUE")
        }
        fixed = await world.scores(
            card, "2019", [_score(staff, 5, 3, 4), _score(drugs, 1, 1, 1)], replace=True
        )
        round_ = fixed["data"]["scorecardScoresRecord"]["round"]
        assert round_["scores"][0]["communityScore"] == 5
        assert await world.count(models.ScorecardRound) == 1
        bad_id = await world.scores(card, "2020", [_score("nope", 1, 1, 1)])
        assert errors_of(bad_id["data"]["scorecardScoresRecord"]) == {
            (("input", "scores", "0", "criterion"), "INVALID_ID")
        }

    async def test_actions(self, world: Scorecards) -> None:
        card = await world.create()
        other = await world.create(title="Another")
        foreign = await world.criterion(other, "Cleanliness")
        body = await world.call(
            ACTION_ADD,
            {
                "input": {
                    "scorecard": card["id"],
                    "text": " ",
                    "criterion": foreign,
                    "ownerOrganisation": gid("Organisation", 999999),
                }
            },
        )
        assert errors_of(body["data"]["scorecardActionAdd"]) == {
            (("input", "text"), "REQUIRED"),
            (("input", "criterion"), "NOT_FOUND"),
            (("input", "ownerOrganisation"), "NOT_FOUND"),
        }
        no_owner = await world.call(
            ACTION_ADD, {"input": {"scorecard": card["id"], "text": "Fix the roof"}}
        )
        assert errors_of(no_owner["data"]["scorecardActionAdd"]) == {
            (("input", "ownerName"), "REQUIRED")
        }
        action = (
            await world.ok(
                ACTION_ADD,
                {"input": {"scorecard": card["id"], "text": "Fix the roof", "ownerName": "Ward"}},
            )
        )["scorecardActionAdd"]["action"]
        stale = await world.call(
            ACTION_UPDATE, {"input": {"id": action["id"], "rowVersion": 5, "status": "DONE"}}
        )
        assert errors_of(stale["data"]["scorecardActionUpdate"]) == {((), "CONFLICT")}
        unowned = await world.call(
            ACTION_UPDATE, {"input": {"id": action["id"], "rowVersion": 1, "ownerName": ""}}
        )
        assert errors_of(unowned["data"]["scorecardActionUpdate"]) == {
            (("input", "ownerName"), "REQUIRED")
        }
        missing = await world.call(
            ACTION_UPDATE, {"input": {"id": gid("ScorecardAction", 0), "rowVersion": 1}}
        )
        assert errors_of(missing["data"]["scorecardActionUpdate"]) == {
            ((("input", "id")), "NOT_FOUND")
        }
        assert await world.audit("ScorecardAction") == ["scorecard.action_add"]


class TestForbidden:
    @pytest.mark.parametrize(
        ("who", "message"),
        [("VIEWER", "EDITOR role"), ("EDITOR_READ_ONLY", "data:write"), (None, "data:write")],
    )
    async def test_create(self, world: Scorecards, who: str | None, message: str) -> None:
        body = await world.call(CREATE, {"input": world.card_input()}, as_=who)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert message in body["errors"][0]["message"]
        assert await world.count(models.Scorecard) == 0

    async def test_editor_cannot_choose_a_wider_visibility(self, world: Scorecards) -> None:
        body = await world.call(CREATE, {"input": world.card_input(visibility="PUBLIC")})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        card = await world.create()
        widen = await world.call(
            UPDATE, {"input": {"id": card["id"], "rowVersion": 1, "visibility": "PUBLIC"}}
        )
        assert widen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        done = await world.ok(
            UPDATE,
            {"input": {"id": card["id"], "rowVersion": 1, "visibility": "PUBLIC"}},
            as_="ADMIN",
        )
        assert done["scorecardUpdate"]["scorecard"]["visibility"] == "PUBLIC"

    async def test_outsiders_find_nothing_and_viewers_may_not_write(
        self, world: Scorecards
    ) -> None:
        # given: a COALITION scorecard and a PUBLIC one
        hidden = await world.create()
        public = await world.create(as_="ADMIN", title="Open", visibility="PUBLIC")
        await world.criterion(public, "Staff attitude")
        # when / then: an editor of another coalition cannot see the hidden one: "not found"
        body = await world.call(
            CRITERION,
            {"input": {"scorecard": hidden["id"], "label": "x", "target": "3.8"}},
            as_="OUTSIDER",
        )
        assert errors_of(body["data"]["scorecardCriterionAdd"]) == {
            (("input", "scorecard"), "NOT_FOUND")
        }
        # ... and may see, but not change, the public one
        seen = await world.call(
            UPDATE, {"input": {"id": public["id"], "rowVersion": 1, "title": "Mine"}}, "OUTSIDER"
        )
        assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        viewer = await world.call(
            ACTION_ADD,
            {"input": {"scorecard": public["id"], "text": "t", "ownerName": "o"}},
            as_="VIEWER",
        )
        assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await world.count(models.ScorecardCriterion) == 1
