"""Issue 9: one confidentiality status for outsiders ("C versus D"), and a retraction that
takes every version of the lineage off every path (defect 4)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.disclosure.disclosure_world import SDMX_FORMATS, World

from lnob_api import models
from lnob_api.auth.keys import KeyStore

OUTSIDERS = ("anonymous", "outsider")
UPDATE = """mutation($input: DatasetUpdateInput!) {
  datasetUpdate(input: $input) { dataset { id version } userErrors { code message } } }"""
RETRACT = """mutation($input: DatasetRetractInput!) {
  datasetRetract(input: $input) { dataset { status } userErrors { code message } } }"""


@pytest.fixture
async def world(conn: AsyncConnection, client: httpx.AsyncClient, signing_keys: KeyStore) -> World:
    return await World(conn, client, signing_keys).build()


async def publish_counts(world: World) -> dict[str, Any]:
    """A total of 100 people, a category of 3 (small) and its complement of 97."""
    dataset = await world.draft()
    a = world.area1
    content = "\n".join(
        [
            "indicator,area,period,unit,sex,value",
            f"1.1.1,{a},2023,NUMBER,_T,100",
            f"1.1.1,{a},2023,NUMBER,F,3",
            f"1.1.1,{a},2023,NUMBER,M,97",
            "",
        ]
    )
    await world.upload(dataset, content)
    await world.publish(dataset)
    return dataset


async def flags(world: World, dataset: dict[str, Any]) -> dict[str, str]:
    """What the coalition should see: C for the small cell, D for the secondary ones."""
    o = models.Observation.__table__
    rows = await world.conn.execute(
        sa.select(o.c.sex, o.c.secondary_suppressed).where(o.c.dataset_id == dataset["pk"])
    )
    return {sex: "C" if sex == "F" else ("D" if secondary else "F") for sex, secondary in rows}


class TestOneStatusForOutsiders:
    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_every_path_says_c_for_every_withheld_cell(self, world: World, who: str) -> None:
        # given a small cell and at least one secondary cell protecting it
        dataset = await publish_counts(world)
        expected = await flags(world, dataset)
        assert "D" in expected.values()
        outside = {sex: "F" if status == "F" else "C" for sex, status in expected.items()}
        # when / then: GraphQL, CSV and SDMX in every format
        nodes = await world.observations(who, datasets=[dataset["id"]])
        assert {n["sex"]: n["confStatus"] for n in nodes} == outside
        _, rows = await world.csv_export(who, dataset["slug"])
        assert {r["sex"]: r["conf_status"] for r in rows} == outside
        for fmt in SDMX_FORMATS:
            cells = world.sdmx_cells(await world.sdmx(who, dataset["slug"], fmt), fmt)
            assert {sex: conf for (_, sex), (_, conf) in cells.items()} == outside, fmt

    async def test_the_coalition_tells_primary_from_secondary(self, world: World) -> None:
        # given
        dataset = await publish_counts(world)
        expected = await flags(world, dataset)
        # when / then
        nodes = await world.observations("insider", datasets=[dataset["id"]])
        assert {n["sex"]: n["confStatus"] for n in nodes} == expected
        assert all(n["value"] is not None for n in nodes)
        _, rows = await world.csv_export("insider", dataset["slug"])
        assert {r["sex"]: r["conf_status"] for r in rows} == expected
        for fmt in SDMX_FORMATS:
            cells = world.sdmx_cells(await world.sdmx("insider", dataset["slug"], fmt), fmt)
            assert {sex: conf for (_, sex), (_, conf) in cells.items()} == expected, fmt


class TestRetractionTakesTheLineage:
    async def retracted_lineage(self, world: World) -> tuple[dict[str, Any], dict[str, Any]]:
        """v1 published, corrected as v2, v2 published then retracted."""
        v1 = await world.draft(sample_size=200)
        await world.upload(
            v1, f"indicator,area,period,unit,value\n1.1.1,{world.area1},2023,PERCENT,41.5\n"
        )
        await world.publish(v1)
        version = await world.row_version(v1)
        edited = await world.call(
            UPDATE, {"input": {"id": v1["id"], "rowVersion": version, "title": "v2"}}, "insider"
        )
        v2 = {"id": edited["datasetUpdate"]["dataset"]["id"], "slug": v1["slug"]}
        await world.publish(v2)
        # before the retraction, the superseded version is readable by version (the issue's
        # path): the test below could fail
        before = await world.nested("anonymous", v2, version=1)
        assert [n["value"] for n in before["observations"]["nodes"]] == [41.5]
        self.v1_cell = (await world.nested("anonymous", v1))["observations"]["nodes"][0]["id"]
        retracted = await world.call(
            RETRACT,
            {
                "input": {
                    "id": v2["id"],
                    "rowVersion": await world.row_version(v2),
                    "reason": "The sample frame listed households twice",
                }
            },
            "insider",
        )
        assert retracted["datasetRetract"]["dataset"]["status"] == "RETRACTED"
        return v1, v2

    @pytest.mark.parametrize("who", OUTSIDERS)
    async def test_no_version_is_readable_on_any_path(self, world: World, who: str) -> None:
        # given
        v1, v2 = await self.retracted_lineage(world)
        # when / then: GraphQL by the old version's id, by version number, by node, in lists
        old = await world.nested(who, v1)
        assert (old["dataReadable"], old["observations"]["nodes"]) == (False, [])
        by_number = await world.nested(who, v2, version=1)
        assert by_number["status"] == "RETRACTED"
        assert by_number["observations"]["nodes"] == []
        assert await world.node(who, self.v1_cell) is None
        assert await world.observations(who, datasets=[v1["id"], v2["id"]]) == []
        # the CSV export and SDMX carry nothing of the lineage
        _, rows = await world.csv_export(who, v1["slug"])
        assert rows == []
        for fmt in SDMX_FORMATS:
            response = await world.sdmx(who, v1["slug"], fmt)
            assert response.status_code == 404, (fmt, response.text)

    async def test_the_coalition_loses_the_data_too_and_keeps_the_record(
        self, world: World
    ) -> None:
        # given
        v1, v2 = await self.retracted_lineage(world)
        # when
        old = await world.nested("insider", v1)
        current = await world.call(
            "query($id: ID!) { dataset(id: $id) { status retractionReason } }",
            {"id": v2["id"]},
            "anonymous",
        )
        # then the metadata stays, with the reason, and the data is gone for everyone
        assert old["observations"]["nodes"] == []
        assert current["dataset"] == {
            "status": "RETRACTED",
            "retractionReason": "The sample frame listed households twice",
        }
