"""meetsCriteria with many codes: the right rows, and a plan that does not grow per code."""

from __future__ import annotations

import json
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import gql

from lnob_api import models
from lnob_api.graphql.ids import to_global_id
from lnob_api.observation import repository as observation_repo
from lnob_api.provenance import repository as provenance_repo

OBSERVATIONS = """
query($filter: ObservationFilter) {
  observations(filter: $filter, first: 100) { totalCount nodes { id } }
}
"""
DATASETS = """
query($filter: DatasetFilter) { datasets(filter: $filter, first: 100) { nodes { slug } } }
"""


async def _criteria(conn: AsyncConnection, coalition: Any, count: int) -> list[Any]:
    table = models.QualityCriterion.__table__
    rows = await conn.execute(
        sa.insert(table)
        .values(
            [
                {"coalition_id": coalition["id"], "code": f"Q-{i:03}", "label": f"Criterion {i}"}
                for i in range(count)
            ]
        )
        .returning(table.c.id, table.c.code)
    )
    return list(rows.mappings())


async def _meets(conn: AsyncConnection, dataset: Any, criteria: list[Any]) -> None:
    await conn.execute(
        sa.insert(models.DatasetQualityCriterion.__table__),
        [{"dataset_id": dataset["id"], "criterion_id": c["id"]} for c in criteria],
    )


def _plan_nodes(plan: Any) -> int:
    """How many nodes an EXPLAIN (FORMAT JSON) plan holds."""
    return 1 + sum(_plan_nodes(child) for child in plan.get("Plans", []))


class TestMeetsCriteria:
    async def test_hundred_codes_keep_only_datasets_meeting_all(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given one dataset meeting all 100 criteria, one meeting 99, one meeting none
        coalition = await f.create_coalition(conn)
        criteria = await _criteria(conn, coalition, 100)
        every, almost, none = [await f.create_dataset(conn, coalition) for _ in range(3)]
        await _meets(conn, every, criteria)
        await _meets(conn, almost, criteria[1:])
        kept = {to_global_id("Observation", (await f.create_observation(conn, every))["id"])}
        for dataset in (every, almost, none):
            await f.create_observation(conn, dataset, sex="F")
        second = await f.create_observation(conn, every, sex="M")
        kept.add(to_global_id("Observation", second["id"]))
        codes = [c["code"].lower() for c in criteria]  # matched case-insensitively
        scope = [to_global_id("Dataset", d["id"]) for d in (every, almost, none)]
        # when
        observed = await gql(
            client, OBSERVATIONS, {"filter": {"datasets": scope, "meetsCriteria": codes}}
        )
        listed = await gql(
            client,
            DATASETS,
            {"filter": {"coalitions": [coalition["code"]], "meetsCriteria": codes}},
        )
        # then
        assert "errors" not in observed, observed
        page = observed["data"]["observations"]
        assert page["totalCount"] == 3
        assert kept <= {n["id"] for n in page["nodes"]}
        assert [n["slug"] for n in listed["data"]["datasets"]["nodes"]] == [every["slug"]]

    async def test_csv_export_takes_the_same_hundred_codes(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        coalition = await f.create_coalition(conn)
        criteria = await _criteria(conn, coalition, 100)
        every, almost = [await f.create_dataset(conn, coalition) for _ in range(2)]
        await _meets(conn, every, criteria)
        await _meets(conn, almost, criteria[:-1])
        for dataset in (every, almost):
            await f.create_observation(conn, dataset)
        # when
        response = await client.get(
            "/exports/observations.csv",
            params={
                "dataset": f"{every['slug']},{almost['slug']}",
                "meetsCriteria": ",".join(c["code"] for c in criteria),
            },
        )
        # then
        assert response.status_code == 200, response.text
        assert response.headers["x-row-count"] == "1"
        assert every["slug"] in response.text and almost["slug"] not in response.text

    async def test_plan_is_the_same_size_for_2_and_100_codes(self, conn: AsyncConnection) -> None:
        # given the observation filter's statement for 2 and for 100 codes
        observations = models.Observation.__table__
        sizes = {}
        for count in (2, 100):
            codes = [f"Q-{i:03}" for i in range(count)]
            stmt = sa.select(observations.c.id).where(
                *observation_repo.filters(meets_criteria=codes)
            )
            # when
            sql = stmt.compile(conn.sync_engine, compile_kwargs={"literal_binds": True})
            plan = (await conn.execute(sa.text(f"EXPLAIN (FORMAT JSON) {sql}"))).scalar_one()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            sizes[count] = (_plan_nodes(plan[0]["Plan"]), str(sql).upper().count("SELECT"))
        # then: no nested subquery (or plan node) per code: the old form added a subquery for
        # each code (98 more here); the planner may still pick another join shape for a longer
        # list, so allow the plans a node or two of difference
        assert sizes[2][1] == sizes[100][1] <= 3, sizes
        assert abs(sizes[100][0] - sizes[2][0]) <= 2, sizes

    async def test_dataset_filter_is_one_grouped_subquery(self) -> None:
        # when
        where = provenance_repo.dataset_filters(meets_criteria=["A", "b", "a"])
        # then: duplicates (after case folding) count once
        sql = str(where[0].compile(compile_kwargs={"literal_binds": True})).upper()
        assert len(where) == 1
        assert sql.count("SELECT") == 1
        assert "HAVING COUNT(DISTINCT" in sql and "= 2" in sql
