"""20 concurrent calls of every create-if-absent and versioned update, on committed data:
exactly one winner, the others a clear user error, and the database holds what was
acknowledged (nothing lost, nothing doubled)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integrity.world import World, committed_world, outcome, tally

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.ids import to_global_id

E = "userErrors { field code message }"
GRANT_CREATE = (
    f"mutation($i: GrantCreateInput!) {{ grantCreate(input: $i) {{ grant {{ id }} {E} }} }}"
)
GRANT_REVOKE = (
    f"mutation($i: GrantRevokeInput!) {{ grantRevoke(input: $i) {{ grant {{ id }} {E} }} }}"
)
DATASET_CREATE = f"mutation($i: DatasetCreateInput!) {{ datasetCreate(input: $i) {{ dataset {{ id slug }} {E} }} }}"
DATASET_UPDATE = (
    "mutation($i: DatasetUpdateInput!) { datasetUpdate(input: $i) {"
    f" dataset {{ id title version rowVersion }} {E} }} }}"
)
PROJECT_CREATE = (
    f"mutation($i: ProjectCreateInput!) {{ projectCreate(input: $i) {{ project {{ id }} {E} }} }}"
)
PROJECT_UPDATE = (
    "mutation($i: ProjectUpdateInput!) { projectUpdate(input: $i) {"
    f" project {{ id title rowVersion }} {E} }} }}"
)
COALITION_CREATE = (
    "mutation($i: CoalitionCreateInput!) { coalitionCreate(input: $i) {"
    f" coalition {{ id }} {E} }} }}"
)
ORGANISATION_CREATE = (
    "mutation($i: OrganisationCreateInput!) { organisationCreate(input: $i) {"
    f" organisation {{ id }} {E} }} }}"
)
MEMBER_ADD = (
    "mutation($i: CoalitionMemberAddInput!) { coalitionMemberAdd(input: $i) {"
    f" membership {{ role }} {E} }} }}"
)
INDICATOR_CREATE = (
    "mutation($i: CustomIndicatorCreateInput!) { customIndicatorCreate(input: $i) {"
    f" indicator {{ code }} {E} }} }}"
)
AREA_CREATE = f"mutation($i: LocalAreaCreateInput!) {{ localAreaCreate(input: $i) {{ area {{ code }} {E} }} }}"
READ = "query($id: ID!) { dataset(id: $id) { id observations(first: 10) { totalCount } } }"


@pytest.fixture
async def world(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[World]:
    async for w in committed_world(engine, signing_keys):
        yield w


class TestGrants:
    async def test_one_live_grant_and_revoking_it_closes_access(self, world: World) -> None:
        # given a COALITION dataset the agency cannot read
        ds = await world.dataset(world.a, visibility="COALITION")
        agency = world.a["agency_org"]
        assert (await world.call(READ, {"id": ds["gid"]}, "agency"))["dataset"] is None
        # when 20 admins' requests grant it at once
        payloads = await world.race(
            GRANT_CREATE,
            {
                "i": {
                    "coalition": world.a["code"],
                    "organisation": agency["slug"],
                    "dataset": ds["gid"],
                }
            },
            "admin",
        )
        # then one grant, 19 NOT_UNIQUE on the organisation
        assert tally(payloads) == {"OK": 1, "NOT_UNIQUE": 19}
        refused = [p["userErrors"][0] for p in payloads if p["userErrors"]]
        assert {tuple(e["field"]) for e in refused} == {("input", "organisation")}
        grants = models.Grant.__table__
        live = await world.rows(
            sa.select(grants.c.id).where(
                grants.c.dataset_id == ds["id"], grants.c.revoked_at.is_(None)
            )
        )
        assert len(live) == 1
        seen = await world.call(READ, {"id": ds["gid"]}, "agency")
        assert seen["dataset"]["observations"]["totalCount"] == 1
        # when the one live grant is revoked
        winner = next(p for p in payloads if not p["userErrors"])
        revoked = await world.call(GRANT_REVOKE, {"i": {"id": winner["grant"]["id"]}}, "admin")
        assert revoked["grantRevoke"]["userErrors"] == []
        # then the grantee reads nothing
        assert (await world.call(READ, {"id": ds["gid"]}, "agency"))["dataset"] is None

    async def test_an_expired_grant_makes_room_for_a_new_one(self, world: World) -> None:
        # given an expired, unrevoked grant of the same reach
        ds = await world.dataset(world.a, visibility="COALITION")
        agency = world.a["agency_org"]
        async with world.engine.begin() as conn:
            await conn.execute(
                sa.insert(models.Grant.__table__).values(
                    coalition_id=world.a["id"],
                    dataset_id=ds["id"],
                    organisation_id=agency["id"],
                    expires_at=sa.func.now() - sa.text("interval '1 day'"),
                )
            )
        # when it is granted again
        variables = {
            "i": {
                "coalition": world.a["code"],
                "organisation": agency["slug"],
                "dataset": ds["gid"],
            }
        }
        payload = (await world.call(GRANT_CREATE, variables, "admin"))["grantCreate"]
        # then the new grant is made and the old one counts as expired
        assert payload["userErrors"] == []
        grants = models.Grant.__table__
        rows = await world.rows(
            sa.select(grants.c.revoked_at == grants.c.expires_at, grants.c.revoked_at.is_(None))
            .where(grants.c.dataset_id == ds["id"])
            .order_by(grants.c.id)
        )
        assert [tuple(r) for r in rows] == [(True, False), (None, True)]
        assert (await world.call(READ, {"id": ds["gid"]}, "agency"))["dataset"] is not None


class TestCreateIfAbsent:
    async def test_dataset_slug(self, world: World) -> None:
        variables = {"i": {"coalition": world.a["code"], "title": "Race", "slug": "race-survey"}}
        payloads = await world.race(DATASET_CREATE, variables, "editor")
        assert tally(payloads) == {"OK": 1, "NOT_UNIQUE": 19}
        datasets = models.Dataset.__table__
        count = await world.scalar(
            sa.select(sa.func.count()).where(datasets.c.coalition_id == world.a["id"])
        )
        assert count == 1

    async def test_project_slug(self, world: World) -> None:
        variables = {"i": {"coalition": world.a["code"], "title": "Race", "slug": "race-project"}}
        payloads = await world.race(PROJECT_CREATE, variables, "editor")
        assert tally(payloads) == {"OK": 1, "NOT_UNIQUE": 19}
        projects = models.Project.__table__
        count = await world.scalar(
            sa.select(sa.func.count()).where(projects.c.coalition_id == world.a["id"])
        )
        assert count == 1

    async def test_coalition_code(self, world: World) -> None:
        world.extra_coalition_codes.append("UY")
        variables = {"i": {"code": "UY", "name": "Uruguay coalition"}}
        payloads = await world.race(COALITION_CREATE, variables, "partnership")
        assert tally(payloads) == {"OK": 1, "NOT_UNIQUE": 19}
        coalitions = models.Coalition.__table__
        assert await world.scalar(sa.select(sa.func.count()).where(coalitions.c.code == "UY")) == 1

    async def test_organisation_slug(self, world: World) -> None:
        variables = {"i": {"name": "Race org", "slug": "integrity-race-org"}}
        payloads = await world.race(ORGANISATION_CREATE, variables, "partnership")
        assert tally(payloads) == {"OK": 1, "NOT_UNIQUE": 19}
        organisations = models.Organisation.__table__
        assert (
            await world.scalar(
                sa.select(sa.func.count()).where(organisations.c.slug == "integrity-race-org")
            )
            == 1
        )

    async def test_membership(self, world: World) -> None:
        outside = world.orgs[2]
        variables = {"i": {"coalition": world.a["code"], "organisation": outside["slug"]}}
        payloads = await world.race(MEMBER_ADD, variables, "admin")
        assert tally(payloads) == {"OK": 1, "NOT_UNIQUE": 19}
        members = models.CoalitionMember.__table__
        assert (
            await world.scalar(
                sa.select(sa.func.count()).where(
                    members.c.coalition_id == world.a["id"],
                    members.c.organisation_id == outside["id"],
                )
            )
            == 1
        )

    async def test_custom_indicators_are_numbered_without_gaps_or_doubles(
        self, world: World
    ) -> None:
        variables = {"i": {"coalition": world.a["code"], "target": "1.1", "title": "Race"}}
        payloads = await world.race(INDICATOR_CREATE, variables, "editor")
        assert tally(payloads) == {"OK": 20}
        codes = sorted(p["indicator"]["code"] for p in payloads)
        assert codes == [f"{world.a['code']}-C-{n:04d}" for n in range(1, 21)]

    async def test_local_area_code(self, world: World) -> None:
        areas = models.Area.__table__
        parent = await world.scalar(
            sa.select(sa.func.min(areas.c.code)).where(
                areas.c.country_code == world.a["code"], areas.c.level != "COUNTRY"
            )
        )
        code = f"{parent}-RACE1"
        variables = {
            "i": {"coalition": world.a["code"], "parent": parent, "code": "RACE1", "name": "W"}
        }
        payloads = await world.race(AREA_CREATE, variables, "editor")
        assert tally(payloads) == {"OK": 1, "NOT_UNIQUE": 19}
        assert await world.scalar(sa.select(sa.func.count()).where(areas.c.code == code)) == 1


class TestVersionedUpdates:
    async def _titles(self, world: World, lineage_id: int) -> list[tuple[str, str]]:
        datasets = models.Dataset.__table__
        rows = await world.rows(
            sa.select(datasets.c.status, datasets.c.title)
            .where(datasets.c.lineage_id == lineage_id)
            .order_by(datasets.c.version)
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def test_through_a_published_version(self, world: World) -> None:
        # given a published dataset at rowVersion 3
        ds = await world.dataset(world.a, row_version=3, title="Published")
        # when 20 editors each send an update with that rowVersion
        variables = [
            {"i": {"id": ds["gid"], "rowVersion": 3, "title": f"Edit {n}"}} for n in range(20)
        ]
        payloads = await world.race(DATASET_UPDATE, variables, "editor")
        # then one opened the draft; the others conflict and nothing of theirs was written
        assert tally(payloads) == {"OK": 1, "CONFLICT": 19}
        winner = next(p for p in payloads if not p["userErrors"])
        titles = await self._titles(world, ds["id"])
        assert titles == [("PUBLISHED", "Published"), ("DRAFT", winner["dataset"]["title"])]
        audit = models.AuditEvent.__table__
        updates = await world.scalar(
            sa.select(sa.func.count()).where(
                audit.c.coalition_id == world.a["id"], audit.c.action == "dataset.update"
            )
        )
        assert updates == 1
        # and a rowVersion read from the published version no longer edits the open draft
        again = await world.call(
            DATASET_UPDATE, {"i": {"id": ds["gid"], "rowVersion": 3, "title": "Late"}}, "editor"
        )
        assert outcome(again["datasetUpdate"]) == "CONFLICT"
        draft_version = winner["dataset"]["rowVersion"]
        ok = await world.call(
            DATASET_UPDATE,
            {"i": {"id": ds["gid"], "rowVersion": draft_version, "title": "Read the draft"}},
            "editor",
        )
        assert outcome(ok["datasetUpdate"]) == "OK"
        assert (await self._titles(world, ds["id"]))[1] == ("DRAFT", "Read the draft")

    async def test_of_a_draft(self, world: World) -> None:
        ds = await world.dataset(world.a, status="DRAFT", title="Draft")
        variables = [
            {"i": {"id": ds["gid"], "rowVersion": 1, "title": f"Edit {n}"}} for n in range(20)
        ]
        payloads = await world.race(DATASET_UPDATE, variables, "editor")
        assert tally(payloads) == {"OK": 1, "CONFLICT": 19}
        winner = next(p for p in payloads if not p["userErrors"])
        assert await self._titles(world, ds["id"]) == [("DRAFT", winner["dataset"]["title"])]

    async def test_of_a_project(self, world: World) -> None:
        async with world.engine.begin() as conn:
            from tests import factories as f

            project = await f.create_project(conn, world.a)
        gid = to_global_id("Project", project["id"])
        variables = [{"i": {"id": gid, "rowVersion": 1, "title": f"Edit {n}"}} for n in range(20)]
        payloads = await world.race(PROJECT_UPDATE, variables, "editor")
        assert tally(payloads) == {"OK": 1, "CONFLICT": 19}
        winner = next(p for p in payloads if not p["userErrors"])
        projects = models.Project.__table__
        stored = await world.rows(
            sa.select(projects.c.title, projects.c.row_version).where(
                projects.c.id == project["id"]
            )
        )
        assert [tuple(r) for r in stored] == [(winner["project"]["title"], 2)]
