"""The protection model end to end: publish through GraphQL, recompute through the services,
audit through the service, the GraphQL query and the ``lnob-api disclosure audit`` command."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from tests import factories as f
from tests.helpers import bearer, gql, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.cli import main
from lnob_api.db import create_engine, migrate
from lnob_api.disclosure import service as disclosure
from lnob_api.grant import service as grant_service
from lnob_api.graphql.ids import to_global_id

PUBLISH = """
mutation($input: DatasetPublishInput!) {
  datasetPublish(input: $input) { dataset { status } userErrors { field code message } }
}
"""

AUDIT = """
query($code: String!) { disclosureAudit(coalition: $code) {
  coalition threshold clean
  audiences { audience cells withheld narrowed { id quantity interval { lower upper } constraints } }
  informationLoss { datasetId version cells withheldCells cellShare valueShare }
} }
"""

observations = models.Observation.__table__
# A district of three wards: the small ward follows from the district and the two others.
WARDS = {"A": 20.0, "B": 26.0, "C": 4.0}


async def _areas(conn: AsyncConnection, coalition: Any) -> tuple[str, list[str]]:
    """A subdivision of the coalition's country with three local wards registered under it."""
    areas = models.Area.__table__
    sub = (
        await conn.execute(
            sa.select(areas.c.code)
            .where(areas.c.country_code == coalition["code"], areas.c.level == "SUBDIVISION")
            .order_by(areas.c.code)
            .limit(1)
        )
    ).scalar_one()
    wards = []
    for name in WARDS:
        code = f"{sub}-W{name}{uuid.uuid4().hex[:4].upper()}"
        await conn.execute(
            sa.insert(areas).values(
                code=code,
                name=f"Ward {name}",
                level="LOCAL",
                type="Ward",
                country_code=coalition["code"],
                parent_code=sub,
                ancestors=[coalition["code"], sub],
                coalition_id=coalition["id"],
            )
        )
        wards.append(code)
    return sub, wards


async def _district_table(
    conn: AsyncConnection, dataset: Any, sub: str, wards: list[str], only: str = "ABC"
) -> dict[str, int]:
    ids = {
        "district": (
            await f.create_observation(
                conn, dataset, area_code=sub, value=50.0, unit="PERSONS", sample_size=None
            )
        )["id"]
    }
    for (name, value), code in zip(WARDS.items(), wards, strict=True):
        if name not in only:
            continue
        row = await f.create_observation(
            conn, dataset, area_code=code, value=value, unit="PERSONS", sample_size=None
        )
        ids[name] = row["id"]
    return ids


class World:
    def __init__(self, conn: AsyncConnection, client: httpx.AsyncClient, keys: KeyStore) -> None:
        self.conn, self.client, self.keys = conn, client, keys

    async def build(self) -> World:
        self.coalition = await f.create_coalition(self.conn)
        org = await f.create_organisation(self.conn)
        await f.add_member(self.conn, self.coalition, org)
        frontend = await f.create_client(self.conn, org)
        self.headers: dict[str, dict[str, str]] = {}
        for role in ("EDITOR", "ADMIN", "VIEWER"):
            user = await f.create_user(self.conn)
            await f.give_role(self.conn, user, self.coalition, role)
            scopes = ("data:read", "data:write", "coalition:admin")
            self.headers[role] = bearer(
                token_for(self.keys, client=frontend, user=user, scopes=scopes)
            )
        self.sub, self.wards = await _areas(self.conn, self.coalition)
        self.draft = await f.create_dataset(self.conn, self.coalition, status="DRAFT")
        self.ids = await _district_table(self.conn, self.draft, self.sub, self.wards)
        return self

    async def publish(self, dataset: Any) -> None:
        variables = {
            "input": {
                "id": to_global_id("Dataset", dataset["id"]),
                "rowVersion": dataset["row_version"],
            }
        }
        body = await gql(self.client, PUBLISH, variables, headers=self.headers["EDITOR"])
        assert body["data"]["datasetPublish"]["userErrors"] == [], body

    async def flags(self) -> dict[int, bool]:
        rows = await self.conn.execute(
            sa.select(observations.c.id, observations.c.secondary_suppressed)
        )
        return {int(i): bool(flag) for i, flag in rows}


@pytest.fixture
async def world(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> World:
    return await World(conn, client, signing_keys).build()


class TestPublishProtects:
    async def test_the_area_hierarchy_is_protected_at_publish(self, world: World) -> None:
        # when
        await world.publish(world.draft)
        report = await disclosure.audit_coalition(world.conn, world.coalition["code"])
        # then: one more ward withheld (the smallest that gives enough room), audit clean
        flags = await world.flags()
        assert flags[world.ids["A"]] is True
        assert not flags[world.ids["district"]] and not flags[world.ids["B"]]
        assert report.clean, report
        assert {a.audience for a in report.audiences} == {"anonymous", "partnership"}

    async def test_without_the_pattern_the_audit_finds_the_ward(self, world: World) -> None:
        # given: published, then the pattern undone (as a per-table rule would leave it)
        await world.publish(world.draft)
        await world.conn.execute(sa.update(observations).values(secondary_suppressed=False))
        # when
        report = await disclosure.audit_coalition(world.conn, world.coalition["code"])
        # then
        anonymous = next(a for a in report.audiences if a.audience == "anonymous")
        [finding] = anonymous.findings
        assert finding.cell_id == world.ids["C"]
        assert finding.interval == pytest.approx((4.0, 4.0))
        assert any(world.sub in c for c in finding.constraints)

    async def test_a_linked_dataset_published_later_is_protected_with_the_first(
        self, world: World
    ) -> None:
        # given: the first published; a second dataset shows the district and wards A and B
        await world.publish(world.draft)
        second = await f.create_dataset(world.conn, world.coalition, status="DRAFT")
        linked = await _district_table(world.conn, second, world.sub, world.wards)
        # when
        await world.publish(second)
        # then: ward A is withheld in both (else the second gives the first away)
        flags = await world.flags()
        assert flags[linked["A"]] is True and flags[world.ids["A"]] is True
        report = await disclosure.audit_coalition(world.conn, world.coalition["code"])
        assert report.clean, report

    async def test_a_grant_on_a_coalition_only_dataset_brings_it_into_the_pattern(
        self, world: World
    ) -> None:
        # given: the public dataset published, a coalition-only one on the same population
        await world.publish(world.draft)
        private = await f.create_dataset(world.conn, world.coalition, visibility="COALITION")
        ids = await _district_table(world.conn, private, world.sub, world.wards)
        await disclosure.recompute(world.conn, private["id"])
        assert (await world.flags())[ids["A"]] is False  # insiders only: per-table rule
        agency = await f.create_organisation(world.conn, kind="STATISTICS_AGENCY")
        # when
        await grant_service.create_grant(
            world.conn,
            coalition_code=world.coalition["code"],
            organisation_slug=agency["slug"],
            dataset_id=private["id"],
        )
        # then
        assert (await world.flags())[ids["A"]] is True
        report = await disclosure.audit_coalition(world.conn, world.coalition["code"])
        grantee = next(a for a in report.audiences if a.audience.startswith("organisation:"))
        assert grantee.cells == 8 and grantee.withheld == 4 and not grantee.findings


class TestQuery:
    async def test_a_coalition_admin_reads_the_audit_and_the_loss(self, world: World) -> None:
        # given
        await world.publish(world.draft)
        # when
        body = await gql(
            world.client, AUDIT, {"code": world.coalition["code"]}, headers=world.headers["ADMIN"]
        )
        # then
        assert "errors" not in body, body
        audit = body["data"]["disclosureAudit"]
        assert audit["clean"] is True and audit["threshold"] == 5
        anonymous = next(a for a in audit["audiences"] if a["audience"] == "anonymous")
        assert (anonymous["cells"], anonymous["withheld"], anonymous["narrowed"]) == (4, 2, [])
        [loss] = audit["informationLoss"]
        assert loss["datasetId"] == to_global_id("Dataset", world.draft["id"])
        assert (loss["cells"], loss["withheldCells"], loss["cellShare"]) == (4, 2, 0.5)
        assert loss["valueShare"] == pytest.approx(24 / 100)

    async def test_narrowed_cells_are_listed_with_their_relations(self, world: World) -> None:
        await world.publish(world.draft)
        await world.conn.execute(sa.update(observations).values(secondary_suppressed=False))
        body = await gql(
            world.client, AUDIT, {"code": world.coalition["code"]}, headers=world.headers["ADMIN"]
        )
        audit = body["data"]["disclosureAudit"]
        assert audit["clean"] is False
        anonymous = next(a for a in audit["audiences"] if a["audience"] == "anonymous")
        [cell] = anonymous["narrowed"]
        assert cell["id"] == to_global_id("Observation", world.ids["C"])
        assert (cell["quantity"], cell["interval"]) == ("VALUE", {"lower": 4.0, "upper": 4.0})

    @pytest.mark.parametrize("who", ["VIEWER", "EDITOR"])
    async def test_others_are_refused(self, world: World, who: str) -> None:
        body = await gql(
            world.client, AUDIT, {"code": world.coalition["code"]}, headers=world.headers[who]
        )
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async def test_an_unknown_coalition_is_not_found(self, world: World) -> None:
        body = await gql(world.client, AUDIT, {"code": "XX"}, headers=world.headers["ADMIN"])
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.fixture(scope="module")
async def committed_url(database_url: str) -> AsyncIterator[str]:
    """A scratch database holding one published coalition table, committed (the command opens
    its own connection)."""
    from lnob_api.seed import seed

    name = f"lnob_disclosure_{uuid.uuid4().hex[:8]}"
    server = create_engine(database_url, pool_size=1)
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
        coalition = await f.create_coalition(conn, code="UG")
        sub, wards = await _areas(conn, coalition)
        dataset = await f.create_dataset(conn, coalition)
        await _district_table(conn, dataset, sub, wards)
        await disclosure.recompute_coalition(conn, coalition["id"])
    await engine.dispose()
    yield url
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await server.dispose()


class TestCommand:
    def run(
        self,
        url: str,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
        *args: str,
    ) -> tuple[int, str]:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        capsys.readouterr()
        code = main(["disclosure", "audit", *args])
        captured = capsys.readouterr()
        self.err = captured.err
        return code, captured.out

    async def test_a_protected_coalition_exits_0_then_1_once_broken(
        self,
        committed_url: str,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # when
        code, out = await asyncio.to_thread(
            self.run, committed_url, capsys, monkeypatch, "--coalition", "UG", "--json"
        )
        # then
        assert code == 0, out
        [audit] = json.loads(out)
        assert audit["coalition"] == "UG" and audit["clean"] is True
        # given: the pattern undone
        engine = create_engine(committed_url, pool_size=1)
        async with engine.begin() as conn:
            await conn.execute(sa.update(observations).values(secondary_suppressed=False))
        await engine.dispose()
        # when
        code, out = await asyncio.to_thread(
            self.run, committed_url, capsys, monkeypatch, "--coalition", "UG"
        )
        # then
        assert code == 1
        assert "UG (threshold 5): NARROWED CELLS FOUND" in out
        assert "attacker's interval [4.0, 4.0], protection needs [0.0, 9.0]" in out

    async def test_an_unknown_coalition_is_one_line_on_stderr(
        self,
        committed_url: str,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        code, out = await asyncio.to_thread(
            self.run, committed_url, capsys, monkeypatch, "--coalition", "XX"
        )
        assert (code, out) == (1, "")
        assert self.err == "lnob-api: no coalition with code 'XX'\n"


class TestConcurrentPublishes:
    async def test_two_linked_tables_published_at_once_are_protected_together(
        self, engine: AsyncEngine
    ) -> None:
        # given: a coalition with its wards, committed
        async with engine.begin() as conn:
            coalition = await f.create_coalition(conn)
            sub, wards = await _areas(conn, coalition)
        order: list[str] = []

        async def publish(name: str, pause: float, only: str) -> None:
            # Each transaction adds a published table of the same population, then recomputes.
            async with engine.begin() as conn:
                slug = f"{name}-{uuid.uuid4().hex[:6]}"
                dataset = await f.create_dataset(conn, coalition, slug=slug)
                await _district_table(conn, dataset, sub, wards, only)
                await asyncio.sleep(pause)
                await disclosure.recompute(conn, dataset["id"])
                order.append(name)
                await asyncio.sleep(0.2)  # hold the transaction open while the other waits

        try:
            # when
            # (the second table, without the small ward, shows ward A: alone it needs nothing
            # withheld, beside the first it gives the small ward away as 50 - 20 - 26)
            await asyncio.gather(publish("first", 0.0, "ABC"), publish("second", 0.05, "AB"))
            # then: whichever recomputed second saw the other's committed table
            async with engine.connect() as conn:
                report = await disclosure.audit_coalition(conn, coalition["code"])
            assert sorted(order) == ["first", "second"]
            assert report.clean, report
            assert {a.audience: a.cells for a in report.audiences}["anonymous"] == 7
        finally:
            async with engine.begin() as conn:
                await conn.execute(
                    sa.delete(models.Dataset.__table__).where(
                        models.Dataset.coalition_id == coalition["id"]
                    )
                )
                areas = models.Area.__table__
                await conn.execute(sa.delete(areas).where(areas.c.coalition_id == coalition["id"]))
                await conn.execute(
                    sa.delete(models.Coalition.__table__).where(
                        models.Coalition.id == coalition["id"]
                    )
                )
