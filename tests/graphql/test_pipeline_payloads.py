"""The mutation pipeline's payloads of several parts (graphql.mutations.parts), through the
served app: every part shown after a write, every part null (a refused file's report kept)
when the write is refused, nothing written or audited then; and the one mapping of domain
errors to user errors and HTTP answers (lnob_api.errors)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.graphql.scorecard.evidence_world import World

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Problem,
    ValidationFailed,
    http_status,
    problems,
)
from lnob_api.graphql.ids import to_global_id
from lnob_api.graphql.mutations import UserErrorCode, user_errors
from lnob_api.http.errors import answer

ERRORS = "userErrors { field code message }"
CREATE = f"mutation($input: ScorecardCreateInput!) {{ scorecardCreate(input: $input) {{ scorecard {{ id rowVersion }} {ERRORS} }} }}"
CRITERION = f"mutation($input: ScorecardCriterionAddInput!) {{ scorecardCriterionAdd(input: $input) {{ criterion {{ id label }} scorecard {{ id criteria {{ label }} }} {ERRORS} }} }}"
UPLOAD = f"""
mutation($input: ScorecardScoresUploadInput!) {{
  scorecardScoresUpload(input: $input) {{
    scorecard {{ id }} report {{ rowsRead roundsRecorded problemCount problems {{ code }} }} {ERRORS}
  }}
}}
"""
OFFICIAL = f"""
mutation($input: OfficialValuesUploadInput!) {{
  officialValuesUpload(input: $input) {{ report {{ rowsRead rowsInserted problemCount }} {ERRORS} }}
}}
"""
UPDATE = f"mutation($input: ScorecardUpdateInput!) {{ scorecardUpdate(input: $input) {{ scorecard {{ id title rowVersion }} {ERRORS} }} }}"


class Pipeline(World):
    async def card(self) -> dict[str, Any]:
        data = await self.ok(
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
        card: dict[str, Any] = data["scorecardCreate"]["scorecard"]
        return card


@pytest.fixture
async def world(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> Pipeline:
    return await Pipeline(client, conn, signing_keys).build()


class TestSeveralParts:
    async def test_a_write_shows_every_part(self, world: Pipeline) -> None:
        card = await world.card()
        data = await world.ok(
            CRITERION, {"input": {"scorecard": card["id"], "label": "Staff", "target": "3.8"}}
        )
        payload = data["scorecardCriterionAdd"]
        assert payload["criterion"]["label"] == "Staff"
        # the second part is read back after the write: it sees the new criterion
        assert payload["scorecard"] == {"id": card["id"], "criteria": [{"label": "Staff"}]}

    async def test_a_refused_write_shows_every_part_null(self, world: Pipeline) -> None:
        card = await world.card()
        before = await world.audit("ScorecardCriterion")
        body = await world.call(
            CRITERION, {"input": {"scorecard": card["id"], "label": "Staff", "target": "99.9"}}
        )
        payload = body["data"]["scorecardCriterionAdd"]
        assert payload["criterion"] is None and payload["scorecard"] is None
        assert [e["code"] for e in payload["userErrors"]] != []
        assert await world.audit("ScorecardCriterion") == before

    async def test_a_hidden_row_is_not_found_like_a_missing_one(self, world: Pipeline) -> None:
        card = await world.card()
        missing = to_global_id("Scorecard", 10**9)
        answers = []
        for scorecard, who in ((card["id"], "OUTSIDER"), (missing, "EDITOR")):
            body = await world.call(
                CRITERION,
                {"input": {"scorecard": scorecard, "label": "Staff", "target": "3.8"}},
                as_=who,
            )
            payload = body["data"]["scorecardCriterionAdd"]
            assert payload["criterion"] is None and payload["scorecard"] is None
            answers.append([(e["field"], e["code"]) for e in payload["userErrors"]])
        assert answers[0] == answers[1]
        assert answers[0][0][1] == "NOT_FOUND"

    async def test_a_stale_row_version_is_a_conflict(self, world: Pipeline) -> None:
        card = await world.card()
        first = {"id": card["id"], "rowVersion": card["rowVersion"], "title": "Renamed"}
        await world.ok(UPDATE, {"input": first})
        body = await world.call(UPDATE, {"input": first | {"title": "Again"}})
        payload = body["data"]["scorecardUpdate"]
        assert payload["scorecard"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(None, "CONFLICT")]


class TestRefusedFiles:
    async def test_the_report_of_a_refused_file_stays(self, world: Pipeline) -> None:
        card = await world.card()
        content = b"period,criterion,community_score\n2020,Unknown criterion,9\n"
        body = await world.upload(UPLOAD, {"input": {"scorecard": card["id"]}}, content)
        payload = body["data"]["scorecardScoresUpload"]
        assert payload["scorecard"] is None
        assert payload["report"]["roundsRecorded"] == 0
        assert payload["report"]["problemCount"] >= 1
        assert payload["userErrors"] != []
        assert await world.count(models.ScorecardRound) == 0

    async def test_an_accepted_file_has_its_report(self, world: Pipeline) -> None:
        content = f"indicator,area,period,value\n1.1.1,{world.area},2020,25\n".encode()
        body = await world.upload(
            OFFICIAL, {"input": {"source": "National SDG platform"}}, content, "PARTNERSHIP_ADMIN"
        )
        payload = body["data"]["officialValuesUpload"]
        assert payload["userErrors"] == []
        assert payload["report"] == {"rowsRead": 1, "rowsInserted": 1, "problemCount": 0}


class TestOneMapping:
    def test_problems_of_each_domain_error(self) -> None:
        assert problems(InvalidInput("input.title", "too long", code="TOO_LONG")) == [
            Problem("input.title", "TOO_LONG", "input.title: too long")
        ]
        both = ValidationFailed([InvalidInput("a", "x"), InvalidInput("b.c", "y", code="REQUIRED")])
        assert [(p.field, p.reason) for p in problems(both)] == [
            ("a", "INVALID"),
            ("b.c", "REQUIRED"),
        ]
        assert problems(Conflict("changed")) == [Problem(None, "CONFLICT", "changed")]
        assert problems(NotFound("no such row")) == [Problem("id", "NOT_FOUND", "no such row")]

    def test_user_errors_put_the_path_under_input(self) -> None:
        (error,) = user_errors(InvalidInput("scores.0.criterion", "not an id", code="INVALID_ID"))
        assert error.field == ["input", "scores", "0", "criterion"]
        assert error.code is UserErrorCode.INVALID_ID
        (odd,) = user_errors(InvalidInput("x", "?", code="NO_SUCH_CODE"))
        assert odd.code is UserErrorCode.INVALID

    def test_http_answers_take_the_status_of_the_error(self) -> None:
        assert http_status(NotFound("gone")) == 404
        assert http_status(Forbidden("no")) == 403
        assert http_status(Conflict("changed")) == 409
        assert http_status(InvalidInput("q", "bad")) == 400
        assert http_status(InvalidInput("q", "bad"), 406) == 406
        response = answer(NotFound("no dataset with this id"))
        assert response.status_code == 404
        assert response.body == b"no dataset with this id\n"
        assert response.headers["cache-control"] == "no-store"
        assert answer(ValueError("plain"), 422).status_code == 422


class TestImpliedRunner:
    def test_a_payload_of_rows_implies_its_runner_and_any_other_part_does_not(self) -> None:
        from lnob_api.graphql.mutations import shows_row
        from lnob_api.graphql.scorecard.mutations import (
            ScorecardCriterionAddPayload,
            ScorecardScoresUploadPayload,
        )

        assert callable(shows_row(ScorecardCriterionAddPayload))
        with pytest.raises(TypeError, match=r"ScorecardScoresUploadPayload\.report is not a Node"):
            shows_row(ScorecardScoresUploadPayload)
