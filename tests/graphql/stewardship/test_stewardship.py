"""Community validation, embargo, metadata-only visibility and consent, end to end."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore

FIELDS = "id status rowVersion releaseAt dataReadable metadataVisibility validations { method validatedBy } consents { id scope rowVersion withdrawnAt agencies }"
PUBLISH = f"mutation($input: DatasetPublishInput!) {{ datasetPublish(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
VALIDATE = f"mutation($input: DatasetValidateInput!) {{ datasetValidate(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code message }} }} }}"
UPDATE = f"mutation($input: DatasetUpdateInput!) {{ datasetUpdate(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code }} }} }}"
VISIBILITY = f"mutation($input: DatasetSetVisibilityInput!) {{ datasetSetVisibility(input: $input) {{ dataset {{ {FIELDS} }} userErrors {{ field code }} }} }}"
CONSENT = "mutation($input: ConsentRecordInput!) { consentRecord(input: $input) { consent { id scope rowVersion agencies } userErrors { field code } } }"
WITHDRAW = "mutation($input: ConsentWithdrawInput!) { consentWithdraw(input: $input) { consent { withdrawnAt } userErrors { field code } } }"
READ = f"query($id: ID) {{ dataset(id: $id) {{ {FIELDS} observations {{ totalCount edges {{ node {{ value }} }} }} }} }}"
OBS_COUNT = "query($d: [ID!]) { observations(filter: {datasets: $d}) { totalCount } }"


def _gid(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


class World:
    def __init__(self, client: httpx.AsyncClient, conn: AsyncConnection, keys: KeyStore) -> None:
        self.client, self.conn, self.keys = client, conn, keys

    async def build(self, *, require_validation: bool = False, visibility: str = "PUBLIC") -> World:
        self.coalition = await f.create_coalition(
            self.conn, requires_community_validation=require_validation
        )
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        frontend = await f.create_client(self.conn, org)
        self.agency_org = await f.create_organisation(
            self.conn, kind="STATISTICS_AGENCY", slug="knbs-test"
        )
        agency = await f.create_client(self.conn, self.agency_org)
        self.tokens: dict[str, str | None] = {
            "anonymous": None,
            "agency": token_for(self.keys, client=agency),
        }
        for role in ("EDITOR", "ADMIN", "VIEWER"):
            user = await f.create_user(self.conn)
            await f.give_role(self.conn, user, self.coalition, role)
            self.tokens[role] = token_for(
                self.keys,
                client=frontend,
                user=user,
                scopes=("data:read", "data:write", "coalition:admin"),
            )
        self.dataset = await f.create_dataset(
            self.conn, self.coalition, status="DRAFT", visibility=visibility
        )
        await f.create_observation(self.conn, self.dataset, value=42.0)
        self.id = _gid("Dataset", self.dataset["id"])
        return self

    async def call(
        self, query: str, variables: dict[str, Any], who: str = "EDITOR"
    ) -> dict[str, Any]:
        token = self.tokens[who]
        response = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers=bearer(token) if token else {},
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    async def csv_rows(self, who: str) -> int:
        """Data rows of this dataset in the CSV export, as ``who``."""
        token = self.tokens[who]
        response = await self.client.get(
            "/exports/observations.csv",
            params={"dataset": self.dataset["slug"]},
            headers=bearer(token) if token else {},
        )
        if response.status_code == 400:  # a dataset the caller may not see is "unknown"
            assert "unknown dataset" in response.text
            return 0
        assert response.status_code == 200, response.text
        return len(response.text.strip().splitlines()) - 1

    async def row_version(self) -> int:
        return int(
            await self.conn.scalar(
                sa.select(models.Dataset.row_version).where(models.Dataset.id == self.dataset["id"])
            )
        )

    async def publish(self, **extra: Any) -> dict[str, Any]:
        return (
            await self.call(
                PUBLISH, {"input": {"id": self.id, "rowVersion": await self.row_version()} | extra}
            )
        )["datasetPublish"]


@pytest.fixture
def world(client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore) -> World:
    return World(client, conn, signing_keys)


class TestCommunityValidation:
    async def test_required_validation_blocks_publication(self, world: World) -> None:
        await world.build(require_validation=True)
        refused = await world.publish()
        assert refused["userErrors"][0]["code"] == "INVALID_STATE"
        assert "datasetValidate" in refused["userErrors"][0]["message"]
        validated = (
            await world.call(
                VALIDATE,
                {
                    "input": {
                        "id": world.id,
                        "rowVersion": await world.row_version(),
                        "method": "VALIDATION_MEETING",
                        "validatedBy": "Korogocho residents' committee",
                        "validatedOn": "2024-03-02",
                    }
                },
            )
        )["datasetValidate"]
        assert validated["userErrors"] == []
        assert validated["dataset"]["status"] == "COMMUNITY_VALIDATED"
        assert validated["dataset"]["validations"] == [
            {"method": "VALIDATION_MEETING", "validatedBy": "Korogocho residents' committee"}
        ]
        # a validated but unreleased version is still invisible outside the editors
        assert (await world.call(READ, {"id": world.id}, who="anonymous"))["dataset"] is None
        assert (await world.call(READ, {"id": world.id}, who="VIEWER"))["dataset"] is None
        published = await world.publish()
        assert published["dataset"]["status"] == "PUBLISHED"

    async def test_editing_a_validated_version_needs_validating_again(self, world: World) -> None:
        await world.build()
        await world.call(
            VALIDATE,
            {
                "input": {
                    "id": world.id,
                    "rowVersion": await world.row_version(),
                    "method": "CALL_BACK",
                    "validatedBy": "Facilitators",
                    "validatedOn": "2024-03-02",
                }
            },
        )
        edited = (
            await world.call(
                UPDATE,
                {
                    "input": {
                        "id": world.id,
                        "rowVersion": await world.row_version(),
                        "title": "Changed",
                    }
                },
            )
        )["datasetUpdate"]
        assert edited["dataset"]["status"] == "DRAFT"

    async def test_validation_needs_who_and_a_past_date(self, world: World) -> None:
        await world.build()
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        body = (
            await world.call(
                VALIDATE,
                {
                    "input": {
                        "id": world.id,
                        "rowVersion": await world.row_version(),
                        "method": "OTHER",
                        "validatedBy": " ",
                        "validatedOn": tomorrow,
                    }
                },
            )
        )["datasetValidate"]
        assert {(tuple(e["field"]), e["code"]) for e in body["userErrors"]} == {
            (("input", "validatedBy"), "REQUIRED"),
            (("input", "validatedOn"), "INVALID"),
        }


class TestEmbargo:
    async def test_hidden_outside_the_coalition_until_release(self, world: World) -> None:
        await world.build()
        release = datetime.now(UTC) + timedelta(days=2)
        published = await world.publish(releaseAt=release.isoformat())
        assert published["userErrors"] == []
        for who, sees in [("anonymous", False), ("agency", False), ("VIEWER", True)]:
            data = await world.call(READ, {"id": world.id}, who=who)
            assert (data["dataset"] is not None) is sees, who
            count = (await world.call(OBS_COUNT, {"d": [world.id]}, who=who))["observations"][
                "totalCount"
            ]
            assert count == (1 if sees else 0), who
            assert await world.csv_rows(who) == (1 if sees else 0), who
        # when the embargo ends (by the database's clock: now() is the outer transaction's
        # start, which a slow machine can leave well behind Python's clock)
        await world.conn.execute(
            sa.update(models.Dataset.__table__)
            .where(models.Dataset.id == world.dataset["id"])
            .values(release_at=sa.func.now() - timedelta(seconds=1))
        )
        data = await world.call(READ, {"id": world.id}, who="anonymous")
        assert data["dataset"]["observations"]["totalCount"] == 1
        assert await world.csv_rows("anonymous") == 1
        # and an incremental pull from before the publication picks the rows up
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        changed = await world.call(
            "query($s: DateTime) { observations(filter: {updatedSince: $s}) { totalCount } }",
            {"s": since},
            who="anonymous",
        )
        assert changed["observations"]["totalCount"] >= 1

    async def test_release_must_be_in_the_future(self, world: World) -> None:
        await world.build()
        refused = await world.publish(
            releaseAt=(datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        )
        assert refused["userErrors"][0]["field"] == ["input", "releaseAt"]


class TestMetadataOnly:
    async def test_description_public_data_restricted(self, world: World) -> None:
        await world.build(visibility="COALITION")
        await world.publish()
        done = (
            await world.call(
                VISIBILITY,
                {
                    "input": {
                        "id": world.id,
                        "rowVersion": await world.row_version(),
                        "visibility": "COALITION",
                        "metadataVisibility": "PUBLIC",
                    }
                },
                who="ADMIN",
            )
        )["datasetSetVisibility"]
        assert done["userErrors"] == []
        outside = (await world.call(READ, {"id": world.id}, who="anonymous"))["dataset"]
        assert outside["dataReadable"] is False
        assert outside["metadataVisibility"] == "PUBLIC"
        assert outside["observations"]["totalCount"] == 0
        inside = (await world.call(READ, {"id": world.id}, who="VIEWER"))["dataset"]
        assert inside["dataReadable"] is True
        assert inside["observations"]["totalCount"] == 1

    async def test_metadata_must_be_wider(self, world: World) -> None:
        await world.build(visibility="PUBLIC")
        await world.publish()
        body = (
            await world.call(
                VISIBILITY,
                {
                    "input": {
                        "id": world.id,
                        "rowVersion": await world.row_version(),
                        "visibility": "PUBLIC",
                        "metadataVisibility": "COALITION",
                    }
                },
                who="ADMIN",
            )
        )["datasetSetVisibility"]
        assert body["userErrors"][0]["field"] == ["input", "metadataVisibility"]


class TestConsent:
    async def test_named_agencies_then_withdrawal_end_to_end(self, world: World) -> None:
        # given a published public dataset whose community agreed to named agencies only
        await world.build()
        await world.publish()
        recorded = (
            await world.call(
                CONSENT,
                {
                    "input": {
                        "dataset": world.id,
                        "scope": "NAMED_AGENCIES",
                        "agencies": ["knbs-test"],
                        "obtainedOn": "2024-01-15",
                    }
                },
                who="ADMIN",
            )
        )["consentRecord"]
        assert recorded["userErrors"] == []
        assert recorded["consent"]["agencies"] == ["knbs-test"]
        counts = {
            who: (await world.call(OBS_COUNT, {"d": [world.id]}, who=who))["observations"][
                "totalCount"
            ]
            for who in ("anonymous", "agency", "VIEWER")
        }
        assert counts == {"anonymous": 0, "agency": 1, "VIEWER": 1}
        assert [await world.csv_rows(w) for w in ("anonymous", "agency", "VIEWER")] == [0, 1, 1]
        since = datetime.now(UTC)
        # when the community withdraws its consent
        withdrawn = (
            await world.call(
                WITHDRAW,
                {
                    "input": {
                        "id": recorded["consent"]["id"],
                        "rowVersion": 1,
                        "reason": "Community asked to stop sharing",
                    }
                },
                who="ADMIN",
            )
        )["consentWithdraw"]
        assert withdrawn["userErrors"] == []
        # then nobody reads the data any more, and the agency's mirror gets tombstones
        for who in ("anonymous", "agency", "VIEWER"):
            assert (await world.call(OBS_COUNT, {"d": [world.id]}, who=who))["observations"][
                "totalCount"
            ] == 0
            assert await world.csv_rows(who) == 0, who
        tombstones = await world.call(
            "query($s: DateTime!) { removedObservations(since: $s) { totalCount edges { node { datasetId } } } }",
            {"s": since.isoformat()},
            who="agency",
        )
        assert tombstones["removedObservations"]["totalCount"] == 1
        anonymous = await world.call(
            "query($s: DateTime!) { removedObservations(since: $s) { totalCount } }",
            {"s": since.isoformat()},
            who="anonymous",
        )
        assert anonymous["removedObservations"]["totalCount"] == 0  # it never had it

    async def test_consent_user_errors_and_forbidden(self, world: World) -> None:
        await world.build()
        body = (
            await world.call(
                CONSENT,
                {
                    "input": {
                        "dataset": world.id,
                        "scope": "NAMED_AGENCIES",
                        "agencies": ["nobody"],
                        "obtainedOn": "2024-01-15",
                    }
                },
                who="ADMIN",
            )
        )["consentRecord"]
        assert body["userErrors"][0]["code"] == "INVALID_CODE"
        response = await world.client.post(
            "/graphql",
            json={
                "query": CONSENT,
                "variables": {
                    "input": {"dataset": world.id, "scope": "PUBLIC", "obtainedOn": "2024-01-15"}
                },
            },
            headers=bearer(world.tokens["EDITOR"] or ""),
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestCarriedAcrossVersions:
    async def test_metadata_visibility_survives_a_new_version(self, world: World) -> None:
        await world.build(visibility="COALITION")
        await world.publish()
        await world.call(
            VISIBILITY,
            {
                "input": {
                    "id": world.id,
                    "rowVersion": await world.row_version(),
                    "visibility": "COALITION",
                    "metadataVisibility": "PUBLIC",
                }
            },
            who="ADMIN",
        )
        draft = (
            await world.call(
                UPDATE,
                {"input": {"id": world.id, "rowVersion": await world.row_version(), "title": "v2"}},
            )
        )["datasetUpdate"]["dataset"]
        assert draft["metadataVisibility"] == "PUBLIC"
        published = (
            await world.call(
                PUBLISH, {"input": {"id": draft["id"], "rowVersion": draft["rowVersion"]}}
            )
        )["datasetPublish"]
        assert published["userErrors"] == []
        seen = await world.call(
            "query($s: String) { dataset(slug: $s) { title dataReadable } }",
            {"s": world.dataset["slug"]},
            who="anonymous",
        )
        assert seen["dataset"] == {"title": "v2", "dataReadable": False}


class TestValidationSetting:
    async def test_coalition_admin_requires_validation(self, world: World) -> None:
        await world.build()
        coalition_id = base64.b64encode(f"Coalition:{world.coalition['id']}".encode()).decode()
        body = await world.call(
            "mutation($i: CoalitionUpdateInput!) { coalitionUpdate(input: $i) { coalition { requiresCommunityValidation } userErrors { code } } }",
            {"i": {"id": coalition_id, "rowVersion": 1, "requiresCommunityValidation": True}},
            who="ADMIN",
        )
        assert body["coalitionUpdate"] == {
            "coalition": {"requiresCommunityValidation": True},
            "userErrors": [],
        }
        refused = await world.publish()
        assert refused["userErrors"][0]["code"] == "INVALID_STATE"
