"""Recommendations to authorities: lifecycle with responses and status history, lists and
nested fields, visibility (own level capped by publication and dataset), user errors and
FORBIDDEN."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Self

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.graphql.scorecard.evidence_world import World, errors_of, gid

from lnob_api import models
from lnob_api.auth.keys import KeyStore

ERRORS = "userErrors { field code message }"
REC = (
    "id text status issuedOn visibility rowVersion authority { name level organisation { name } }"
    " publication { title } dataset { title } targets { code } coalition { code }"
)
CREATE = f"mutation($input: RecommendationCreateInput!) {{ recommendationCreate(input: $input) {{ recommendation {{ {REC} }} {ERRORS} }} }}"
UPDATE = f"mutation($input: RecommendationUpdateInput!) {{ recommendationUpdate(input: $input) {{ recommendation {{ {REC} }} {ERRORS} }} }}"
RESPOND = f"mutation($input: RecommendationRespondInput!) {{ recommendationRespond(input: $input) {{ recommendation {{ status rowVersion }} response {{ id respondedOn text commitment responder recordedBy }} {ERRORS} }} }}"
SET_STATUS = f"mutation($input: RecommendationSetStatusInput!) {{ recommendationSetStatus(input: $input) {{ recommendation {{ status rowVersion }} {ERRORS} }} }}"
HISTORY = """
query($id: ID!) {
  recommendation(id: $id) {
    status
    responses { respondedOn text commitment responder responderOrganisation { name } recordedBy }
    statusHistory { status changedOn note recordedBy response { text } }
  }
}
"""
LIST = "query($filter: RecommendationFilter) { recommendations(filter: $filter) { totalCount nodes { text } } }"
NESTED = """
query($publication: ID!, $dataset: ID!) {
  publication: node(id: $publication) { ... on Publication { recommendations { text } } }
  dataset: node(id: $dataset) { ... on Dataset { recommendations { text } } }
}
"""


class Recs(World):
    async def build(self) -> Self:
        await super().build()
        self.publication = await f.create_publication(
            self.conn, self.coalition, title="Leave no one behind in Kisumu"
        )
        self.dataset = await f.create_dataset(self.conn, self.coalition, title="Disability survey")
        return self

    def rec_input(self, **fields: Any) -> dict[str, Any]:
        return {
            "coalition": self.country,
            "text": "Make health centres accessible to wheelchair users",
            "authority": {"name": "County Department of Health", "level": "SUBNATIONAL"},
            "publication": gid("Publication", self.publication["id"]),
        } | fields

    async def create(self, as_: str = "EDITOR", **fields: Any) -> dict[str, Any]:
        data = await self.ok(CREATE, {"input": self.rec_input(**fields)}, as_)
        rec: dict[str, Any] = data["recommendationCreate"]["recommendation"]
        return rec


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> Recs:
    return await Recs(client, conn, signing_keys).build()


class TestLifecycle:
    async def test_responses_and_status_history(self, world: Recs) -> None:
        # given
        ministry = await f.create_organisation(world.conn, name="Ministry of Health")
        rec = await world.create(
            dataset=gid("Dataset", world.dataset["id"]),
            targets=["3.8", "10.2", "3.8"],
            issuedOn="2021-03-01",
            authority={
                "name": "Ministry of Health",
                "level": "NATIONAL",
                "organisation": gid("Organisation", ministry["id"]),
            },
        )
        # when: a response without a status change, one that acknowledges, then two changes
        plain = await world.ok(
            RESPOND,
            {
                "input": {
                    "id": rec["id"],
                    "respondedOn": "2021-04-02",
                    "text": "We will review the audit.",
                    "responder": "Permanent Secretary",
                }
            },
        )
        acknowledged = await world.ok(
            RESPOND,
            {
                "input": {
                    "id": rec["id"],
                    "respondedOn": "2021-05-10",
                    "text": "Ramps are budgeted for 2022.",
                    "commitment": "Ramps at 40 health centres",
                    "responder": "County Health Director",
                    "responderOrganisation": gid("Organisation", ministry["id"]),
                    "status": "ACKNOWLEDGED",
                    "statusNote": "Budget line seen",
                    "rowVersion": 1,
                }
            },
        )
        in_progress = await world.ok(
            SET_STATUS,
            {
                "input": {
                    "id": rec["id"],
                    "rowVersion": 2,
                    "status": "IN_PROGRESS",
                    "changedOn": "2022-02-01",
                }
            },
        )
        implemented = await world.ok(
            SET_STATUS,
            {"input": {"id": rec["id"], "rowVersion": 3, "status": "IMPLEMENTED", "note": "Done"}},
            as_="ADMIN",
        )
        # then
        assert rec["status"] == "OPEN" and rec["visibility"] == "COALITION"
        assert [t["code"] for t in rec["targets"]] == ["3.8", "10.2"]
        assert rec["authority"] == {
            "name": "Ministry of Health",
            "level": "NATIONAL",
            "organisation": {"name": "Ministry of Health"},
        }
        assert rec["publication"]["title"] == "Leave no one behind in Kisumu"
        assert plain["recommendationRespond"]["recommendation"] == {
            "status": "OPEN",
            "rowVersion": 1,
        }
        editor = world.users["EDITOR"]["name"]
        assert plain["recommendationRespond"]["response"]["recordedBy"] == editor
        assert acknowledged["recommendationRespond"]["recommendation"]["status"] == "ACKNOWLEDGED"
        assert in_progress["recommendationSetStatus"]["recommendation"]["rowVersion"] == 3
        assert implemented["recommendationSetStatus"]["recommendation"]["status"] == "IMPLEMENTED"
        read = (await world.ok(HISTORY, {"id": rec["id"]}, as_="VIEWER"))["recommendation"]
        assert [r["respondedOn"] for r in read["responses"]] == ["2021-04-02", "2021-05-10"]
        assert read["responses"][1]["commitment"] == "Ramps at 40 health centres"
        assert read["responses"][1]["responderOrganisation"] == {"name": "Ministry of Health"}
        assert [
            (h["status"], h["changedOn"], h["note"], h["response"]) for h in read["statusHistory"]
        ] == [
            ("OPEN", "2021-03-01", "", None),
            (
                "ACKNOWLEDGED",
                "2021-05-10",
                "Budget line seen",
                {"text": "Ramps are budgeted for 2022."},
            ),
            ("IN_PROGRESS", "2022-02-01", "", None),
            ("IMPLEMENTED", date.today().isoformat(), "Done", None),
        ]
        admin = world.users["ADMIN"]["name"]
        assert [h["recordedBy"] for h in read["statusHistory"]] == [editor, editor, editor, admin]
        assert await world.audit("Recommendation") == [
            "recommendation.create",
            "recommendation.respond",
            "recommendation.respond",
            "recommendation.status",
            "recommendation.status",
        ]

    async def test_update(self, world: Recs) -> None:
        rec = await world.create()
        data = await world.ok(
            UPDATE,
            {
                "input": {
                    "id": rec["id"],
                    "rowVersion": 1,
                    "text": "Accessible toilets too",
                    "publication": None,
                    "dataset": gid("Dataset", world.dataset["id"]),
                    "targets": ["11.7"],
                    "authority": {"name": "Kisumu County Assembly", "level": "LOCAL"},
                }
            },
        )
        updated = data["recommendationUpdate"]["recommendation"]
        assert (updated["text"], updated["rowVersion"], updated["publication"]) == (
            "Accessible toilets too",
            2,
            None,
        )
        assert updated["dataset"] == {"title": "Disability survey"}
        assert updated["targets"] == [{"code": "11.7"}]
        assert updated["authority"]["level"] == "LOCAL"

    async def test_lists_and_nested_fields(self, world: Recs) -> None:
        # given: one from the publication, one from the dataset (its next version counts too)
        await world.create(targets=["3.8"])
        await world.create(
            text="Count people with albinism",
            publication=None,
            dataset=gid("Dataset", world.dataset["id"]),
            authority={"name": "National Bureau of Statistics", "level": "NATIONAL"},
        )
        newer = await f.create_dataset(
            world.conn,
            world.coalition,
            slug=world.dataset["slug"],
            lineage_id=world.dataset["lineage_id"],
            version=2,
            status="DRAFT",
        )

        async def texts(**filter: Any) -> list[str]:
            data = await world.ok(LIST, {"filter": filter})
            return [n["text"] for n in data["recommendations"]["nodes"]]

        # then
        assert len(await texts(coalition=world.country)) == 2
        assert await texts(coalition=world.other["code"]) == []
        assert await texts(target="3.8") == ["Make health centres accessible to wheelchair users"]
        assert await texts(authority="bureau statistics") == ["Count people with albinism"]
        assert await texts(status="OPEN", authorityLevel="NATIONAL") == [
            "Count people with albinism"
        ]
        assert await texts(status="REJECTED") == []
        nested = await world.ok(
            NESTED,
            {
                "publication": gid("Publication", world.publication["id"]),
                "dataset": gid("Dataset", newer["id"]),
            },
        )
        assert nested["publication"]["recommendations"] == [
            {"text": "Make health centres accessible to wheelchair users"}
        ]
        assert nested["dataset"]["recommendations"] == [{"text": "Count people with albinism"}]


class TestVisibility:
    async def test_coalition_recommendation_looks_missing(self, world: Recs) -> None:
        rec = await world.create()
        for who in (None, "OUTSIDER"):
            data = (await world.call(HISTORY + "", {"id": rec["id"]}, who))["data"]
            assert data["recommendation"] is None
            listed = (await world.call(LIST, {}, who))["data"]["recommendations"]
            assert listed["totalCount"] == 0
        nested = await world.call(
            NESTED,
            {
                "publication": gid("Publication", world.publication["id"]),
                "dataset": gid("Dataset", world.dataset["id"]),
            },
            None,
        )
        assert nested["data"]["publication"]["recommendations"] == []

    async def test_public_recommendation_hides_who_recorded_it(self, world: Recs) -> None:
        rec = await world.create(as_="ADMIN", visibility="PUBLIC")
        await world.ok(
            RESPOND,
            {
                "input": {
                    "id": rec["id"],
                    "respondedOn": "2021-04-02",
                    "text": "Noted.",
                    "responder": "County",
                    "status": "ACKNOWLEDGED",
                }
            },
        )
        read = (await world.ok(HISTORY, {"id": rec["id"]}, None))["recommendation"]
        assert read["status"] == "ACKNOWLEDGED"
        assert [r["recordedBy"] for r in read["responses"]] == [None]
        assert [h["recordedBy"] for h in read["statusHistory"]] == [None, None]

    async def test_capped_by_its_publication(self, world: Recs) -> None:
        private = await f.create_publication(world.conn, world.coalition, visibility="COALITION")
        rec = await world.create(
            as_="ADMIN", visibility="PUBLIC", publication=gid("Publication", private["id"])
        )
        assert (await world.ok(HISTORY, {"id": rec["id"]}, None))["recommendation"] is None
        assert (await world.ok(HISTORY, {"id": rec["id"]}, "VIEWER"))["recommendation"] is not None


class TestUserErrors:
    async def test_create(self, world: Recs) -> None:
        foreign_publication = await f.create_publication(world.conn, world.other)
        foreign_dataset = await f.create_dataset(world.conn, world.other)
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        body = await world.call(
            CREATE,
            {
                "input": world.rec_input(
                    text=" ",
                    authority={
                        "name": "",
                        "level": "LOCAL",
                        "organisation": gid("Organisation", 0),
                    },
                    publication=gid("Publication", foreign_publication["id"]),
                    dataset=gid("Dataset", foreign_dataset["id"]),
                    targets=["3.8", "42.1"],
                    issuedOn=tomorrow,
                )
            },
        )
        payload = body["data"]["recommendationCreate"]
        assert payload["recommendation"] is None
        assert errors_of(payload) == {
            (("input", "text"), "REQUIRED"),
            (("input", "authority", "name"), "REQUIRED"),
            (("input", "authority", "organisation"), "NOT_FOUND"),
            (("input", "publication"), "NOT_FOUND"),
            (("input", "dataset"), "NOT_FOUND"),
            (("input", "targets", "1"), "INVALID_CODE"),
            (("input", "issuedOn"), "INVALID"),
        }
        orphan = await world.call(CREATE, {"input": world.rec_input(publication=None)})
        assert errors_of(orphan["data"]["recommendationCreate"]) == {
            (("input", "publication"), "REQUIRED")
        }
        assert await world.count(models.Recommendation) == 0

    async def test_publication_about_the_coalition_is_accepted(self, world: Recs) -> None:
        shared = await f.create_publication(world.conn, None, title="Partnership report")
        await f.link_publication_coalition(world.conn, shared, world.coalition)
        rec = await world.create(publication=gid("Publication", shared["id"]))
        assert rec["publication"] == {"title": "Partnership report"}

    async def test_update_respond_and_status(self, world: Recs) -> None:
        rec = await world.create()
        stale = await world.call(UPDATE, {"input": {"id": rec["id"], "rowVersion": 9}})
        assert errors_of(stale["data"]["recommendationUpdate"]) == {((), "CONFLICT")}
        orphan = await world.call(
            UPDATE, {"input": {"id": rec["id"], "rowVersion": 1, "publication": None}}
        )
        assert errors_of(orphan["data"]["recommendationUpdate"]) == {
            (("input", "publication"), "REQUIRED")
        }
        same = await world.call(
            SET_STATUS, {"input": {"id": rec["id"], "rowVersion": 1, "status": "OPEN"}}
        )
        assert errors_of(same["data"]["recommendationSetStatus"]) == {
            (("input", "status"), "INVALID_STATE")
        }
        stale_status = await world.call(
            SET_STATUS, {"input": {"id": rec["id"], "rowVersion": 3, "status": "REJECTED"}}
        )
        assert errors_of(stale_status["data"]["recommendationSetStatus"]) == {((), "CONFLICT")}
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        bad = await world.call(
            RESPOND,
            {
                "input": {
                    "id": rec["id"],
                    "respondedOn": tomorrow,
                    "text": "",
                    "responder": "x" * 301,
                    "responderOrganisation": gid("Organisation", 0),
                }
            },
        )
        assert errors_of(bad["data"]["recommendationRespond"]) == {
            (("input", "respondedOn"), "INVALID"),
            (("input", "text"), "REQUIRED"),
            (("input", "responder"), "TOO_LONG"),
            (("input", "responderOrganisation"), "NOT_FOUND"),
        }
        missing = await world.call(
            SET_STATUS,
            {"input": {"id": gid("Recommendation", 0), "rowVersion": 1, "status": "REJECTED"}},
        )
        assert errors_of(missing["data"]["recommendationSetStatus"]) == {
            (("input", "id"), "NOT_FOUND")
        }
        assert await world.count(models.RecommendationResponse) == 0
        assert await world.count(models.RecommendationStatusChange) == 1


class TestForbidden:
    @pytest.mark.parametrize(
        ("who", "message"),
        [("VIEWER", "EDITOR role"), ("EDITOR_READ_ONLY", "data:write"), (None, "data:write")],
    )
    async def test_create(self, world: Recs, who: str | None, message: str) -> None:
        body = await world.call(CREATE, {"input": world.rec_input()}, as_=who)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert message in body["errors"][0]["message"]

    async def test_visibility_needs_an_admin_and_outsiders_cannot_write(self, world: Recs) -> None:
        wider = await world.call(CREATE, {"input": world.rec_input(visibility="PUBLIC")})
        assert wider["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        rec = await world.create(as_="ADMIN", visibility="PUBLIC")
        narrowed = await world.call(
            UPDATE, {"input": {"id": rec["id"], "rowVersion": 1, "visibility": "COALITION"}}
        )
        assert narrowed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        for mutation, variables in (
            (SET_STATUS, {"id": rec["id"], "rowVersion": 1, "status": "REJECTED"}),
            (
                RESPOND,
                {"id": rec["id"], "respondedOn": "2021-01-01", "text": "t", "responder": "r"},
            ),
        ):
            body = await world.call(mutation, {"input": variables}, as_="OUTSIDER")
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await world.count(models.RecommendationStatusChange) == 1
