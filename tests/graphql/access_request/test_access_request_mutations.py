"""Access requests: file, approve into a time-limited grant, decline, withdraw; user errors,
FORBIDDEN, notifications and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.graphql.access_request.access_world import (
    APPROVE,
    CREATE,
    DECLINE,
    WITHDRAW,
    World,
    build_world,
)

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import from_global_id, to_global_id


@pytest.fixture
async def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return await build_world(client, conn, signing_keys)


def _in(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def _status(world: World) -> list[str]:
    rows = await world.conn.execute(
        sa.select(models.AccessRequest.status).order_by(models.AccessRequest.id)
    )
    return [str(s) for s in rows.scalars()]


class TestCreate:
    async def test_requester_files_a_request_and_admins_are_notified(self, world: World) -> None:
        # when
        request = await world.request()
        # then
        assert request["status"] == "PENDING"
        assert request["purpose"] == "SDG 10.2 baseline"
        assert request["requesterName"] == "Asha Rao"
        assert request["requesterEmail"] == world.requester["email"]
        assert request["requesterIsClient"] is False
        assert request["organisation"] == {"slug": world.agency["slug"]}
        assert request["dataset"] == {"slug": world.dataset["slug"]}
        assert request["coalition"] == {"code": world.coalition["code"]}
        assert await world.notifications() == [
            (world.admin["id"], None, "ACCESS_REQUEST_CREATED"),
            (world.admin2["id"], None, "ACCESS_REQUEST_CREATED"),
        ]
        assert await world.audit() == ["access_request.create"]

    async def test_given_name_and_email_are_kept(self, world: World) -> None:
        request = await world.request(requesterName=" Dr A. Rao ", requesterEmail="a@nso.example")
        assert (request["requesterName"], request["requesterEmail"]) == (
            "Dr A. Rao",
            "a@nso.example",
        )

    async def test_a_hidden_dataset_looks_missing(self, world: World) -> None:
        # given: one hidden dataset and one id that does not exist
        hidden = to_global_id("Dataset", world.hidden["id"])
        missing = to_global_id("Dataset", 987654321)
        # when
        errors = [
            (await world.payload(CREATE, "accessRequestCreate", {"dataset": d, "purpose": "x"}))[
                "userErrors"
            ]
            for d in (hidden, missing)
        ]
        # then: the same answer for both
        assert errors[0] == errors[1]
        assert errors[0] == [
            {
                "field": ["input", "dataset"],
                "code": "NOT_FOUND",
                "message": "dataset: no such dataset",
            }
        ]
        assert await _status(world) == []
        assert await world.audit() == []

    @pytest.mark.parametrize("who", ["admin", "editor"])
    async def test_insiders_already_read_the_data(self, world: World, who: str) -> None:
        payload = await world.payload(
            CREATE, "accessRequestCreate", {"dataset": world.dataset_id, "purpose": "x"}, who
        )
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_STATE"]

    async def test_a_public_dataset_needs_no_request(self, world: World) -> None:
        input = {"dataset": to_global_id("Dataset", world.public["id"]), "purpose": "x"}
        payload = await world.payload(CREATE, "accessRequestCreate", input)
        assert payload["userErrors"][0]["code"] == "INVALID_STATE"
        assert payload["accessRequest"] is None

    async def test_one_pending_request_per_dataset(self, world: World) -> None:
        await world.request()
        input = {"dataset": world.dataset_id, "purpose": "again"}
        payload = await world.payload(CREATE, "accessRequestCreate", input)
        assert payload["userErrors"] == [
            {
                "field": ["input", "dataset"],
                "code": "NOT_UNIQUE",
                "message": "dataset: you already have a pending request for this dataset",
            }
        ]
        # a colleague of the same organisation files their own
        await world.request(as_="colleague")
        assert await _status(world) == ["PENDING", "PENDING"]

    async def test_input_problems_are_reported_together(self, world: World) -> None:
        input = {
            "dataset": world.dataset_id,
            "purpose": "  ",
            "requesterName": "x" * 201,
            "requesterEmail": "not an address",
        }
        payload = await world.payload(CREATE, "accessRequestCreate", input)
        found = {(tuple(e["field"]), e["code"]) for e in payload["userErrors"]}
        assert found == {
            (("input", "purpose"), "REQUIRED"),
            (("input", "requesterName"), "TOO_LONG"),
            (("input", "requesterEmail"), "INVALID"),
        }
        assert await _status(world) == []

    async def test_a_user_without_organisation_cannot_be_granted(self, world: World) -> None:
        input = {"dataset": world.dataset_id, "purpose": "x"}
        payload = await world.payload(CREATE, "accessRequestCreate", input, "loner")
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "organisation"], "INVALID_STATE")
        ]

    async def test_a_member_of_several_organisations_names_one(self, world: World) -> None:
        # given
        second = await f.create_organisation(world.conn)
        await f.join_organisation(world.conn, world.requester, second)
        input = {"dataset": world.dataset_id, "purpose": "x"}
        # when / then
        unnamed = await world.payload(CREATE, "accessRequestCreate", input)
        assert unnamed["userErrors"][0]["code"] == "REQUIRED"
        not_mine = await world.payload(
            CREATE, "accessRequestCreate", input | {"organisation": world.coalition["slug"]}
        )
        assert not_mine["userErrors"][0]["field"] == ["input", "organisation"]
        request = await world.request(organisation=second["slug"])
        assert request["organisation"] == {"slug": second["slug"]}

    async def test_a_bad_id(self, world: World) -> None:
        input = {"dataset": to_global_id("Coalition", 1), "purpose": "x"}
        payload = await world.payload(CREATE, "accessRequestCreate", input)
        assert payload["userErrors"][0]["code"] == "INVALID_ID"

    async def test_anonymous_callers_are_forbidden(self, world: World) -> None:
        body = await world.call(
            CREATE, {"input": {"dataset": world.dataset_id, "purpose": "x"}}, as_=None
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert body["data"] is None


class TestApprove:
    async def test_request_grant_read_expire(self, world: World) -> None:
        # given: the requester sees the description but none of the data
        assert await world.observation_count("requester") == 0
        request = await world.request()
        # when
        payload = await world.payload(
            APPROVE,
            "accessRequestApprove",
            {"id": request["id"], "expiresAt": _in(90), "note": "for the 2025 VNR"},
            "admin",
        )
        # then: approved, a grant to the requester's organisation, the data readable
        assert payload["userErrors"] == []
        approved = payload["accessRequest"]
        assert approved["status"] == "APPROVED"
        assert approved["decisionNote"] == "for the 2025 VNR"
        assert approved["expiresAt"] is not None and approved["decidedAt"] is not None
        grant = (
            (
                await world.conn.execute(
                    sa.select(models.Grant.__table__).where(
                        models.Grant.id
                        == sa.select(models.AccessRequest.grant_id).scalar_subquery()
                    )
                )
            )
            .mappings()
            .one()
        )
        assert grant["dataset_id"] == world.dataset["id"]
        assert grant["organisation_id"] == world.agency["id"]
        assert grant["client_id"] is None
        assert (
            grant["note"] == f"access request {from_global_id(request['id'])[1]}: for the 2025 VNR"
        )
        assert await world.observation_count("requester") == 2
        assert await world.observation_count("colleague") == 2
        assert await world.observation_count("stranger") == 0
        assert (world.requester["id"], None, "ACCESS_REQUEST_APPROVED") in (
            await world.notifications()
        )
        assert await world.audit() == [
            "access_request.create",
            "grant.create",
            "access_request.approve",
        ]
        # when: the grant expires
        await world.conn.execute(
            sa.update(models.Grant.__table__)
            .where(models.Grant.id == grant["id"])
            .values(expires_at=sa.func.now() - sa.text("interval '1 minute'"))
        )
        # then: the data is gone again, the description stays
        assert await world.observation_count("requester") == 0

    async def test_a_machine_client_is_granted_alone(self, world: World) -> None:
        # given
        assert await world.observation_count("machine") == 0
        request = await world.request(as_="machine")
        assert request["requesterIsClient"] is True
        assert request["organisation"] == {"slug": world.agency["slug"]}
        assert request["requesterName"] == "Agency SDG pipeline"
        # when
        payload = await world.payload(
            APPROVE, "accessRequestApprove", {"id": request["id"], "expiresAt": _in(30)}, "admin"
        )
        # then: the client reads the data; people of its organisation do not
        assert payload["userErrors"] == []
        assert await world.observation_count("machine") == 2
        assert await world.observation_count("requester") == 0
        assert await world.observation_count("colleague") == 0
        assert (None, world.machine["id"], "ACCESS_REQUEST_APPROVED") in (
            await world.notifications()
        )

    async def test_a_partnership_admin_approves(self, world: World) -> None:
        request = await world.request()
        payload = await world.payload(
            APPROVE, "accessRequestApprove", {"id": request["id"], "expiresAt": _in(1)}, "boss"
        )
        assert payload["accessRequest"]["status"] == "APPROVED"

    @pytest.mark.parametrize(
        ("expires", "message"),
        [(-1, "in the future"), (731, "at most 730 days")],
    )
    async def test_expiry_limits(self, world: World, expires: int, message: str) -> None:
        request = await world.request()
        payload = await world.payload(
            APPROVE,
            "accessRequestApprove",
            {"id": request["id"], "expiresAt": _in(expires)},
            "admin",
        )
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (["input", "expiresAt"], "INVALID")
        assert message in error["message"]
        assert await _status(world) == ["PENDING"]
        assert await world.conn.scalar(sa.select(sa.func.count()).select_from(models.Grant)) == 0

    async def test_only_pending_requests_are_decided(self, world: World) -> None:
        request = await world.request()
        input = {"id": request["id"], "expiresAt": _in(10)}
        await world.payload(APPROVE, "accessRequestApprove", input, "admin")
        again = await world.payload(APPROVE, "accessRequestApprove", input, "admin2")
        assert again["userErrors"][0]["code"] == "INVALID_STATE"
        declined = await world.payload(
            DECLINE, "accessRequestDecline", {"id": request["id"], "reason": "no"}, "admin"
        )
        assert declined["userErrors"][0]["code"] == "INVALID_STATE"

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("requester_admin_scope", "ADMIN role"),
            ("requester", "coalition:admin or partnership:admin"),
            ("admin_read_only", "coalition:admin or partnership:admin"),
        ],
    )
    async def test_non_admins_are_forbidden(self, world: World, who: str, message: str) -> None:
        request = await world.request()
        body = await world.call(
            APPROVE, {"input": {"id": request["id"], "expiresAt": _in(10)}}, as_=who
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert message in body["errors"][0]["message"]
        assert await _status(world) == ["PENDING"]
        assert await world.audit() == ["access_request.create"]

    @pytest.mark.parametrize("who", ["other_admin", "editor"])
    async def test_those_who_do_not_see_it_find_nothing(self, world: World, who: str) -> None:
        # An editor of the coalition, or another coalition's admin, does not see the request.
        request = await world.request()
        payload = await world.payload(
            APPROVE, "accessRequestApprove", {"id": request["id"], "expiresAt": _in(10)}, who
        )
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "id"], "NOT_FOUND")
        ]


class TestDecline:
    async def test_decline_with_a_reason(self, world: World) -> None:
        request = await world.request()
        payload = await world.payload(
            DECLINE,
            "accessRequestDecline",
            {"id": request["id"], "reason": "Consent covers partners only."},
            "admin",
        )
        assert payload["userErrors"] == []
        declined = payload["accessRequest"]
        assert declined["status"] == "DECLINED"
        assert declined["decisionNote"] == "Consent covers partners only."
        assert declined["expiresAt"] is None
        assert await world.observation_count("requester") == 0
        assert (await world.notifications())[-1] == (
            world.requester["id"],
            None,
            "ACCESS_REQUEST_DECLINED",
        )
        assert await world.audit() == ["access_request.create", "access_request.decline"]

    async def test_a_reason_is_required(self, world: World) -> None:
        request = await world.request()
        payload = await world.payload(
            DECLINE, "accessRequestDecline", {"id": request["id"], "reason": " "}, "admin"
        )
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "reason"], "REQUIRED")
        ]

    async def test_the_requester_cannot_decline(self, world: World) -> None:
        request = await world.request()
        body = await world.call(DECLINE, {"input": {"id": request["id"], "reason": "x"}})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestWithdraw:
    async def test_the_requester_withdraws(self, world: World) -> None:
        # given
        request = await world.request()
        # when
        payload = await world.payload(WITHDRAW, "accessRequestWithdraw", {"id": request["id"]})
        # then
        assert payload["accessRequest"]["status"] == "WITHDRAWN"
        assert payload["accessRequest"]["decidedAt"] is not None
        kinds = [kind for _, _, kind in await world.notifications()]
        assert kinds.count("ACCESS_REQUEST_WITHDRAWN") == 2
        assert await world.audit() == ["access_request.create", "access_request.withdraw"]
        # and a new request may be filed
        await world.request()

    async def test_an_admin_cannot_withdraw_it(self, world: World) -> None:
        request = await world.request()
        body = await world.call(WITHDRAW, {"input": {"id": request["id"]}}, as_="admin")
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await _status(world) == ["PENDING"]

    @pytest.mark.parametrize("who", ["stranger", "colleague", "via_machine"])
    async def test_others_find_nothing(self, world: World, who: str) -> None:
        request = await world.request()
        payload = await world.payload(WITHDRAW, "accessRequestWithdraw", {"id": request["id"]}, who)
        assert payload["userErrors"][0]["code"] == "NOT_FOUND"
        assert await _status(world) == ["PENDING"]

    async def test_a_decided_request_stays(self, world: World) -> None:
        request = await world.request()
        await world.payload(
            DECLINE, "accessRequestDecline", {"id": request["id"], "reason": "no"}, "admin"
        )
        payload = await world.payload(WITHDRAW, "accessRequestWithdraw", {"id": request["id"]})
        assert payload["userErrors"][0]["code"] == "INVALID_STATE"
