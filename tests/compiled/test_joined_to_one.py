"""To-ones joined to their parents' rows (``compiled.joined``): a page's, a list's or a
lookup's select LEFT JOINs the to-one's scoped select when its key is unique and its object
holds only columns and such to-ones; anything else stays a LATERAL subquery. Both answer as
Strawberry does: a hidden project is null as a missing one is."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import same
from tests.compiled.test_shared_plans import _sql
from tests.factories import (
    create_coalition,
    create_dataset,
    create_observation,
    create_project,
    link_indicator,
)

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal
from lnob_api.graphql.compiled import joined
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.observation.repository import OBSERVATIONS

PAGE = """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 5) { nodes {
  slug coalition { code projects(first: 1) { nodes { slug } } } project { title }
  indicators { code target { code goal { shortTitle } } }
  observations(first: 3) { nodes { period area { name } } } } } }"""
LOOKUP = "query($id: ID!) { dataset(id: $id) { title coalition { name } project { title } } }"


def _joins(sql: str) -> set[str]:
    return set(re.findall(r"LEFT OUTER JOIN \(SELECT (\w+)\.", sql))


def test_only_a_unique_key_of_a_lone_table_is_joined() -> None:
    anonymous = Principal()
    datasets = Dataset._source  # type: ignore[attr-defined]
    assert joined.one_row_per_key(datasets, "id", datasets.scoped(anonymous))
    # the observations' scoped select joins their dataset and its coalition
    assert not joined.one_row_per_key(OBSERVATIONS, "id", OBSERVATIONS.scoped(anonymous))
    # a dataset's slug is shared by its versions
    assert not joined.one_row_per_key(datasets, "slug", datasets.scoped(anonymous))


def test_flat_to_ones_are_joined_the_others_stay_lateral(monkeypatch: pytest.MonkeyPatch) -> None:
    variables: dict[str, Any] = {"c": ["KE"]}
    sql = _sql(Principal(), PAGE, variables)
    assert sql is not None
    # the project, an indicator's target and its goal, an observation's area
    assert _joins(sql) == {"projects", "sdg_targets", "sdg_goals", "areas"}
    # the coalition holds a connection: a LATERAL, by its id
    assert "WHERE coalitions.id = capped" in sql
    monkeypatch.setattr(joined, "JOINED_TO_ONE", False)
    laterals = _sql(Principal(), PAGE, variables)
    assert laterals is not None and _joins(laterals) == set()
    assert "WHERE areas.code = " in laterals


async def test_joined_to_ones_answer_as_strawberry(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    coalition = await create_coalition(conn)
    shown = await create_project(conn, coalition)
    # seen by the coalition's members only: null to anonymous callers, as if missing
    hidden = await create_project(conn, coalition, visibility="COALITION")
    datasets = []
    for project in (shown, hidden, None):
        dataset = await create_dataset(
            conn, coalition, project_id=project["id"] if project else None
        )
        datasets.append(dataset)
        await link_indicator(conn, dataset, "8.5.2")
        await link_indicator(conn, dataset, "1.1.1")
        for area, period in ((coalition["code"], "2020"), (coalition["code"], "2021")):
            await create_observation(conn, dataset, area_code=area, period=period)
    async with pair(conn, signing_keys) as both:
        one, two, compiled = await both.both(PAGE, {"c": [coalition["code"]]})
        assert compiled and same(one, two), (one, two)
        looked_up = []
        for dataset in datasets:
            gid = base64.b64encode(f"Dataset:{dataset['id']}".encode()).decode()
            found = await both.both(LOOKUP, {"id": gid})
            assert found[2] and same(found[0], found[1]), found
            looked_up.append(json.loads(found[0])["data"]["dataset"]["project"])
    nodes = json.loads(one)["data"]["datasets"]["nodes"]
    assert [n["project"] for n in nodes] == [{"title": shown["title"]}, None, None]
    assert looked_up == [{"title": shown["title"]}, None, None]
    first = nodes[0]
    assert first["coalition"]["code"] == coalition["code"]
    assert [i["target"]["code"] for i in first["indicators"]] == ["1.1", "8.5"]
    assert first["indicators"][0]["target"]["goal"]["shortTitle"]
    assert [o["area"]["name"] for o in first["observations"]["nodes"]] == [
        first["observations"]["nodes"][0]["area"]["name"]
    ] * 2
