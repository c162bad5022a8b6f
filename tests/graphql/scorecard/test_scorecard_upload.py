"""scorecardScoresUpload: rounds of scores from a CSV file, checked period by period as
scorecardScoresRecord checks a round; a bad row or round refuses the whole file; viewers may not
upload."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.scorecard.evidence_world import World, errors_of

from lnob_api import models
from lnob_api.auth.keys import KeyStore

ERRORS = "userErrors { field code message }"
CREATE = f"mutation($input: ScorecardCreateInput!) {{ scorecardCreate(input: $input) {{ scorecard {{ id }} {ERRORS} }} }}"
CRITERION = f"mutation($input: ScorecardCriterionAddInput!) {{ scorecardCriterionAdd(input: $input) {{ criterion {{ id }} {ERRORS} }} }}"
UPLOAD = """
mutation($input: ScorecardScoresUploadInput!) {
  scorecardScoresUpload(input: $input) {
    scorecard { id }
    report { rowsRead roundsRecorded problemCount problems { row column code message } }
    userErrors { field code message }
  }
}
"""
READ = """
query($id: ID!) {
  scorecard(id: $id) {
    rounds { period scores { criterion { label } communityScore providerScore agreedScore note } }
  }
}
"""
HEADER = "period,criterion,community_score,provider_score,agreed_score,note"


class Scorecards(World):
    async def card(self) -> tuple[str, str, str]:
        """A scorecard (scale 1-5) with two criteria: its id and the criteria's ids."""
        created = await self.ok(
            CREATE,
            {
                "input": {
                    "coalition": self.country,
                    "title": "Kisumu health centre scorecard",
                    "service": "Primary health centre",
                    "area": self.area,
                    "period": "2019",
                }
            },
        )
        card = str(created["scorecardCreate"]["scorecard"]["id"])
        ids = []
        for label in ("Staff attitude", "Drug availability"):
            added = await self.ok(
                CRITERION, {"input": {"scorecard": card, "label": label, "target": "3.8"}}
            )
            ids.append(str(added["scorecardCriterionAdd"]["criterion"]["id"]))
        return card, ids[0], ids[1]

    async def send(
        self, card: str, content: bytes, as_: str | None = "EDITOR", **input: Any
    ) -> dict[str, Any]:
        return await self.upload(UPLOAD, {"input": {"scorecard": card} | input}, content, as_)


@pytest.fixture
async def world(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> Scorecards:
    return await Scorecards(client, conn, signing_keys).build()


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


class TestSuccess:
    async def test_two_periods_by_label_and_id(self, world: Scorecards) -> None:
        # given
        card, staff, _ = await world.card()
        content = _csv(
            "2019-Q1,staff ATTITUDE,1,4,2,rude at night",
            "2019-Q1,Drug availability,1,,,",
            "",
            f"2019-Q3,{staff},3,4,3.5,",
            "2019-Q3,drug availability,2,3,2,",
        )
        # when
        body = await world.send(card, content)
        # then
        payload = body["data"]["scorecardScoresUpload"]
        assert payload["userErrors"] == []
        assert payload["scorecard"] == {"id": card}
        assert payload["report"] == {
            "rowsRead": 4,
            "roundsRecorded": 2,
            "problemCount": 0,
            "problems": [],
        }
        rounds = (await world.ok(READ, {"id": card}))["scorecard"]["rounds"]
        assert [r["period"] for r in rounds] == ["2019-Q1", "2019-Q3"]
        assert rounds[0]["scores"] == [
            {
                "criterion": {"label": "Staff attitude"},
                "communityScore": 1,
                "providerScore": 4,
                "agreedScore": 2,
                "note": "rude at night",
            },
            {
                "criterion": {"label": "Drug availability"},
                "communityScore": 1,
                "providerScore": None,
                "agreedScore": None,
                "note": "",
            },
        ]
        assert rounds[1]["scores"][0]["agreedScore"] == 3.5
        assert (await world.audit("Scorecard"))[-2:] == ["scorecard.scores_record"] * 2

    async def test_semicolons_header_case_and_replace(self, world: Scorecards) -> None:
        card, _, _ = await world.card()
        first = _csv("2020,Staff attitude,2,2,2,", "2020,Drug availability,3,3,3,")
        assert (await world.send(card, first))["data"]["scorecardScoresUpload"]["userErrors"] == []
        # the same period again is refused without replace, then replaced with it
        again = await world.send(card, first)
        problems = again["data"]["scorecardScoresUpload"]["report"]["problems"]
        assert [(p["row"], p["column"], p["code"]) for p in problems] == [
            (2, "period", "PERIOD_RECORDED")
        ]
        content = (
            "\ufeffPeriod;CRITERION;Community_Score;Provider_Score;Agreed_Score\n"
            "2020;Staff attitude;4,5;;\n2020;Drug availability;5;;\n"
        ).encode()
        body = await world.send(card, content, replace=True)
        assert body["data"]["scorecardScoresUpload"]["report"]["roundsRecorded"] == 1
        rounds = (await world.ok(READ, {"id": card}))["scorecard"]["rounds"]
        assert [s["communityScore"] for s in rounds[0]["scores"]] == [4.5, 5]
        assert await world.count(models.ScorecardRound) == 1


class TestRejected:
    async def test_a_score_outside_the_scale_rejects_the_whole_file(
        self, world: Scorecards
    ) -> None:
        # given: a good first period, and a second with a score above the scale (1-5)
        card, _, _ = await world.card()
        content = _csv(
            "2019-Q1,Staff attitude,1,4,2,",
            "2019-Q1,Drug availability,1,2,2,",
            "2019-Q3,Staff attitude,3,4,3,",
            "2019-Q3,Drug availability,2,9,2,",
        )
        # when
        body = await world.send(card, content)
        # then
        payload = body["data"]["scorecardScoresUpload"]
        assert payload["scorecard"] is None
        assert errors_of(payload) == {(("input", "file"), "INVALID_FILE")}
        report = payload["report"]
        assert (report["rowsRead"], report["roundsRecorded"], report["problemCount"]) == (4, 0, 1)
        [problem] = report["problems"]
        assert (problem["row"], problem["column"], problem["code"]) == (
            5,
            "provider_score",
            "OUT_OF_SCALE",
        )
        assert "outside the scale 1-5" in problem["message"]
        assert await world.count(models.ScorecardRound) == 0
        assert await world.count(models.ScorecardScore) == 0
        assert "scorecard.scores_record" not in await world.audit("Scorecard")

    async def test_round_rules_are_reported_by_row(self, world: Scorecards) -> None:
        card, _, _ = await world.card()
        content = _csv(
            "2019-Q7,Staff attitude,1,1,1,",
            "2019-Q7,Drug availability,1,1,1,",
            "2020,Staff attitude,1,1,1,",
            "2020,Staff attitude,2,2,2,",
            "2021,Staff attitude,,,,",
            "2021,Drug availability,1,1,1,",
        )
        body = await world.send(card, content)
        problems = body["data"]["scorecardScoresUpload"]["report"]["problems"]
        assert [(p["row"], p["column"], p["code"]) for p in problems] == [
            (2, "period", "INVALID_PERIOD"),
            (5, "criterion", "DUPLICATE_IN_FILE"),
            (4, "criterion", "MISSING_CRITERIA"),
            (6, None, "NO_SCORE"),
        ]
        assert await world.count(models.ScorecardRound) == 0

    async def test_unknown_criterion_and_bad_cells(self, world: Scorecards) -> None:
        card, _, _ = await world.card()
        content = _csv(
            "2019,Staff attitude,1,1,1,",
            "2019,Cleanliness,1,1,1,",
            "2019,Drug availability,lots,1,1,",
            ",,1,1,1,",
        )
        body = await world.send(card, content)
        payload = body["data"]["scorecardScoresUpload"]
        assert errors_of(payload) == {(("input", "file"), "INVALID_FILE")}
        assert [(p["row"], p["column"], p["code"]) for p in payload["report"]["problems"]] == [
            (3, "criterion", "UNKNOWN_CRITERION"),
            (4, "community_score", "INVALID_SCORE"),
            (5, "period", "REQUIRED"),
            (5, "criterion", "REQUIRED"),
        ]
        assert await world.count(models.ScorecardRound) == 0

    async def test_missing_column_and_empty_files(self, world: Scorecards) -> None:
        card, _, _ = await world.card()
        body = await world.send(
            card,
            _csv("2019,Staff attitude,1,1", header="period,criterion,community_score,note"),
        )
        problems = body["data"]["scorecardScoresUpload"]["report"]["problems"]
        assert [(p["row"], p["column"], p["code"]) for p in problems] == [
            (1, "provider_score", "MISSING_COLUMN"),
            (1, "agreed_score", "MISSING_COLUMN"),
        ]
        for content in (b"", _csv()):
            empty = await world.send(card, content)
            report = empty["data"]["scorecardScoresUpload"]["report"]
            assert report["problems"][0]["code"] == "INVALID_FILE"
        assert await world.count(models.ScorecardRound) == 0


class TestForbidden:
    @pytest.mark.parametrize(
        ("who", "message"),
        [("VIEWER", "EDITOR role"), ("EDITOR_READ_ONLY", "data:write"), (None, "data:write")],
    )
    async def test_only_editors_upload(
        self, world: Scorecards, who: str | None, message: str
    ) -> None:
        card, _, _ = await world.card()
        body = await world.send(card, _csv("2019,Staff attitude,1,1,1,"), as_=who)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert message in body["errors"][0]["message"]
        assert await world.count(models.ScorecardRound) == 0

    async def test_outsiders_find_no_scorecard(self, world: Scorecards) -> None:
        card, _, _ = await world.card()
        body = await world.send(card, _csv("2019,Staff attitude,1,1,1,"), as_="OUTSIDER")
        payload = body["data"]["scorecardScoresUpload"]
        assert errors_of(payload) == {(("input", "scorecard"), "NOT_FOUND")}
        assert payload["report"] is None
