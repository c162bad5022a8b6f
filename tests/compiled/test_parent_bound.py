"""A nested page or list reads its child rows ``WHERE child column = parent key``; their
own criteria name the parent's key instead of the child's column (``common.bound_to_parent``),
so that an observation's ``dataset_id = ANY(readable datasets)`` is checked once per parent.
Lists aggregate their items by the relation's order keys, with no rank
(``build.RANKED_LISTS``). Both answer as Strawberry does: a dataset whose metadata is public
and whose data is not still shows no observation."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import same
from tests.compiled.test_shared_plans import _sql
from tests.factories import (
    create_coalition,
    create_dataset,
    create_observation,
    link_indicator,
)

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal
from lnob_api.graphql.compiled import build, common

PAGE = """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 5) { nodes {
  slug indicators { code } observations(first: 3) { nodes { period } } } } }"""


@pytest.fixture
def unbound() -> Iterator[None]:
    kept = common.BOUND_TO_PARENT
    common.BOUND_TO_PARENT = False
    try:
        yield
    finally:
        common.BOUND_TO_PARENT = kept


def test_the_observations_visibility_names_the_parent_dataset() -> None:
    sql = _sql(Principal(), PAGE, {"c": ["KE"]})
    assert sql is not None
    assert "observations.dataset_id = ANY" not in sql
    assert "capped1.id = ANY (array(" in sql
    # the rows are still read by their parent's key
    assert "observations.dataset_id = capped1.id" in sql
    assert "row_number()" not in sql


def test_unbound_keeps_the_sources_criteria(unbound: None) -> None:
    sql = _sql(Principal(), PAGE, {"c": ["KE"]})
    assert sql is not None
    assert "observations.dataset_id = ANY" in sql


@pytest.mark.parametrize("ranked", [False, True])
async def test_nested_rows_answer_as_strawberry(
    conn: AsyncConnection, signing_keys: KeyStore, ranked: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "RANKED_LISTS", ranked)
    coalition = await create_coalition(conn)
    shown = await create_dataset(conn, coalition)
    # its metadata public, its data inside the coalition: no observation for outsiders
    metadata_only = await create_dataset(
        conn, coalition, visibility="COALITION", metadata_visibility="PUBLIC"
    )
    for dataset in (shown, metadata_only):
        for code in ("8.5.2", "1.1.1", "4.1.1"):
            await link_indicator(conn, dataset, code)
        for period in ("2019", "2020", "2021", "2022"):
            await create_observation(conn, dataset, area_code=coalition["code"], period=period)
    variables = {"c": [coalition["code"]]}
    async with pair(conn, signing_keys) as both:
        one, two, compiled = await both.both(PAGE, variables)
    assert compiled and same(one, two), (one, two)
    nodes = {n["slug"]: n for n in json.loads(one)["data"]["datasets"]["nodes"]}
    assert [o["period"] for o in nodes[shown["slug"]]["observations"]["nodes"]] == [
        "2019",
        "2020",
        "2021",
    ]
    assert nodes[metadata_only["slug"]]["observations"]["nodes"] == []
    # the indicators in their own order (SDG order), not the links'
    assert [i["code"] for i in nodes[shown["slug"]]["indicators"]] == ["1.1.1", "4.1.1", "8.5.2"]
