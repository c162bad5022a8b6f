"""Every mutation taking an id answers a hidden target exactly as a missing one, for an
outsider, a user of another coalition and an agency client: a write never tells anyone that
something they may not see exists (nor how often it was edited)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests import factories as f
from tests.integrity.world import World, committed_world

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

MISSING = 987_654_321
WHO = ("outsider", "other", "agency")

# (mutation, input type, kind of hidden object, input with X for its global id)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("datasetUpdate", "DatasetUpdateInput", "draft", {"id": "X", "rowVersion": 99, "title": "t"}),
    ("datasetUpdate", "DatasetUpdateInput", "dataset", {"id": "X", "rowVersion": 99, "title": "t"}),
    ("datasetPublish", "DatasetPublishInput", "draft", {"id": "X", "rowVersion": 99}),
    (
        "datasetRetract",
        "DatasetRetractInput",
        "dataset",
        {"id": "X", "rowVersion": 99, "reason": "r"},
    ),
    (
        "datasetSetVisibility",
        "DatasetSetVisibilityInput",
        "dataset",
        {"id": "X", "rowVersion": 99, "visibility": "PUBLIC"},
    ),
    ("datasetDelete", "DatasetVersionInput", "draft", {"id": "X", "rowVersion": 99}),
    (
        "datasetValidate",
        "DatasetValidateInput",
        "draft",
        {
            "id": "X",
            "rowVersion": 99,
            "method": "OTHER",
            "validatedBy": "x",
            "validatedOn": "2024-01-01",
        },
    ),
    (
        "consentRecord",
        "ConsentRecordInput",
        "dataset",
        {"dataset": "X", "scope": "PUBLIC", "obtainedOn": "2024-01-01"},
    ),
    (
        "consentWithdraw",
        "ConsentWithdrawInput",
        "consent",
        {"id": "X", "rowVersion": 99, "reason": "r"},
    ),
    ("accessRequestCreate", "AccessRequestCreateInput", "draft", {"dataset": "X", "purpose": "p"}),
    ("projectUpdate", "ProjectUpdateInput", "project", {"id": "X", "rowVersion": 99, "title": "t"}),
    (
        "projectSetVisibility",
        "ProjectSetVisibilityInput",
        "project",
        {"id": "X", "rowVersion": 99, "visibility": "PUBLIC"},
    ),
    ("projectArchive", "ProjectArchiveInput", "project", {"id": "X", "rowVersion": 99}),
    ("projectDelete", "ProjectDeleteInput", "project", {"id": "X", "rowVersion": 99}),
    (
        "publicationUpdate",
        "PublicationUpdateInput",
        "publication",
        {"id": "X", "rowVersion": 99, "title": "t"},
    ),
    (
        "publicationSetVisibility",
        "PublicationSetVisibilityInput",
        "publication",
        {"id": "X", "rowVersion": 99, "visibility": "PUBLIC"},
    ),
    ("publicationDelete", "PublicationDeleteInput", "publication", {"id": "X", "rowVersion": 99}),
    (
        "scorecardUpdate",
        "ScorecardUpdateInput",
        "scorecard",
        {"id": "X", "rowVersion": 99, "title": "t"},
    ),
    (
        "scorecardCriterionAdd",
        "ScorecardCriterionAddInput",
        "scorecard",
        {"scorecard": "X", "label": "l", "target": "1.1"},
    ),
    (
        "scorecardScoresRecord",
        "ScorecardScoresRecordInput",
        "scorecard",
        {"scorecard": "X", "period": "2024", "scores": []},
    ),
    ("scorecardActionAdd", "ScorecardActionAddInput", "scorecard", {"scorecard": "X", "text": "t"}),
    (
        "scorecardActionUpdate",
        "ScorecardActionUpdateInput",
        "action",
        {"id": "X", "rowVersion": 99, "text": "t"},
    ),
    (
        "recommendationUpdate",
        "RecommendationUpdateInput",
        "recommendation",
        {"id": "X", "rowVersion": 99, "text": "t"},
    ),
    (
        "recommendationSetStatus",
        "RecommendationSetStatusInput",
        "recommendation",
        {"id": "X", "rowVersion": 99, "status": "ACKNOWLEDGED"},
    ),
    (
        "recommendationRespond",
        "RecommendationRespondInput",
        "recommendation",
        {"id": "X", "respondedOn": "2024-01-01", "text": "t", "responder": "r"},
    ),
    ("grantRevoke", "GrantRevokeInput", "grant", {"id": "X"}),
    (
        "accessRequestApprove",
        "AccessRequestApproveInput",
        "request",
        {"id": "X", "expiresAt": "2099-01-01T00:00:00Z"},
    ),
    ("accessRequestDecline", "AccessRequestDeclineInput", "request", {"id": "X", "reason": "r"}),
    ("accessRequestWithdraw", "AccessRequestWithdrawInput", "request", {"id": "X"}),
]

TYPES = {
    "draft": "Dataset",
    "dataset": "Dataset",
    "consent": "Consent",
    "project": "Project",
    "publication": "Publication",
    "scorecard": "Scorecard",
    "action": "ScorecardAction",
    "recommendation": "Recommendation",
    "grant": "Grant",
    "request": "AccessRequest",
}


async def _insert(conn: Any, model: Any, **values: Any) -> int:
    table = model.__table__
    return int(
        (await conn.execute(sa.insert(table).values(**values).returning(table.c.id))).scalar()
    )


async def _hidden(world: World) -> dict[str, int]:
    """One object of each kind in coalition A that only A's people may see, all edited twice
    (rowVersion 3) so that a leaked version would show."""
    a = world.a
    async with world.engine.begin() as conn:
        draft = await f.create_dataset(
            conn, a, status="DRAFT", visibility="COALITION", row_version=3
        )
        dataset = await f.create_dataset(conn, a, visibility="COALITION", row_version=3)
        project = await f.create_project(conn, a, visibility="COALITION", row_version=3)
        publication = await f.create_publication(conn, a, visibility="COALITION", row_version=3)
        area = await conn.scalar(
            sa.select(sa.func.min(models.Area.code)).where(models.Area.country_code == a["code"])
        )
        ids = {"draft": draft["id"], "dataset": dataset["id"], "project": project["id"]}
        ids["publication"] = publication["id"]
        ids["consent"] = await _insert(
            conn,
            models.Consent,
            lineage_id=dataset["id"],
            coalition_id=a["id"],
            scope="PUBLIC",
            obtained_on=date(2024, 1, 1),
            row_version=3,
        )
        ids["scorecard"] = await _insert(
            conn,
            models.Scorecard,
            coalition_id=a["id"],
            title="Clinic",
            service="Health",
            area_code=area,
            period="2024",
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            visibility="COALITION",
            row_version=3,
        )
        ids["action"] = await _insert(
            conn,
            models.ScorecardAction,
            scorecard_id=ids["scorecard"],
            text="Fix",
            owner_name="Health office",
            row_version=3,
        )
        ids["recommendation"] = await _insert(
            conn,
            models.Recommendation,
            coalition_id=a["id"],
            text="Build ramps",
            authority_name="County",
            authority_level="LOCAL",
            publication_id=publication["id"],
            visibility="COALITION",
            row_version=3,
        )
        partner = world.orgs[0]
        ids["grant"] = await _insert(
            conn, models.Grant, coalition_id=a["id"], organisation_id=partner["id"]
        )
        ids["request"] = await _insert(
            conn,
            models.AccessRequest,
            dataset_id=dataset["id"],
            coalition_id=a["id"],
            purpose="Planning",
            requester_user_id=world.users[0]["id"],
            organisation_id=partner["id"],
        )
    return ids


@pytest.fixture
async def world(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[World]:
    async for w in committed_world(engine, signing_keys):
        w.hidden = await _hidden(w)
        yield w


def _fill(value: Any, gid: str) -> Any:
    if value == "X":
        return gid
    if isinstance(value, dict):
        return {k: _fill(v, gid) for k, v in value.items()}
    return value


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """The answer without what differs per request (request ids, cost figures)."""
    body = {k: v for k, v in body.items() if k != "extensions"}
    for error in body.get("errors") or []:
        error.get("extensions", {}).pop("requestId", None)
        error.pop("locations", None)
    return body


async def _answer(world: World, name: str, type_name: str, variables: Any, who: str) -> Any:
    query = (
        f"mutation($i: {type_name}!) {{ {name}(input: $i) {{ __typename"
        " userErrors { field code message } } }"
    )
    response = await world.post(query, {"i": variables}, who)
    assert response.status_code == 200, response.text
    return _shape(response.json())


class TestHiddenLooksMissing:
    @pytest.mark.parametrize(
        ("name", "type_name", "kind", "template"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES]
    )
    async def test_same_answer(
        self, world: World, name: str, type_name: str, kind: str, template: dict[str, Any]
    ) -> None:
        hidden_id = world.hidden[kind]
        hidden = _fill(template, to_global_id(TYPES[kind], hidden_id))
        missing = _fill(template, to_global_id(TYPES[kind], MISSING))
        for who in WHO:
            # when
            for_hidden = await _answer(world, name, type_name, hidden, who)
            for_missing = await _answer(world, name, type_name, missing, who)
            # then: the same answer, and never a conflict or a version
            assert for_hidden == for_missing, (who, for_hidden, for_missing)
            text = str(for_hidden)
            assert "CONFLICT" not in text and "version 3" not in text, (who, text)
            payload = (for_hidden.get("data") or {}).get(name)
            codes = {e["code"] for e in payload["userErrors"]} if payload else set()
            gate = {e["extensions"]["code"] for e in for_hidden.get("errors") or []}
            # the mutation ran (no input error hides the answer): NOT_FOUND, or a scope gate
            assert codes | gate in ({"NOT_FOUND"}, {"FORBIDDEN"}), (who, text)
        # and nothing was written
        assert (
            await world.scalar(
                sa.select(sa.func.count()).where(
                    models.AuditEvent.__table__.c.coalition_id == world.a["id"]
                )
            )
            == 0
        )
