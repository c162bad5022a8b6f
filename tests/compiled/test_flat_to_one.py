"""With ``compiled.build.FLAT_TO_ONE`` (off by default: W4's nested pages), a to-one by a
unique key of a source that reads its table alone is a plain join, without ``LIMIT 1``: the
same answers as Strawberry, the rows of a draft still unread; sources that join (or keys
that repeat) keep their LIMIT."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import same
from tests.compiled.test_shared_plans import _sql
from tests.factories import create_coalition, create_dataset, create_observation

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal
from lnob_api.graphql.compiled import build
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.observation.repository import OBSERVATIONS

PAGE = """query($f: ObservationFilter) { observations(filter: $f, first: 10) {
  nodes { areaCode dataset { slug coalition { code } } } } }"""


def _limits(sql: str) -> int:
    return len(re.findall(r"\bLIMIT\b", sql))


@pytest.fixture
def flat_on() -> Iterator[None]:
    kept = build.FLAT_TO_ONE
    build.FLAT_TO_ONE = True
    try:
        yield
    finally:
        build.FLAT_TO_ONE = kept


def test_only_a_unique_key_of_a_lone_table_goes_without_limit(flat_on: None) -> None:
    anonymous = Principal()
    datasets = Dataset._source  # type: ignore[attr-defined]
    assert build._one_row_per_key(datasets, "id", datasets.scoped(anonymous))
    # the observations' scoped select joins their dataset and its coalition
    assert not build._one_row_per_key(OBSERVATIONS, "id", OBSERVATIONS.scoped(anonymous))
    # a dataset's slug is shared by its versions
    assert not build._one_row_per_key(datasets, "slug", datasets.scoped(anonymous))


def test_the_statement_drops_the_to_ones_limits(flat_on: None) -> None:
    variables: dict[str, Any] = {"f": {"areas": ["KE"]}}
    flat = _sql(Principal(), PAGE, variables)
    build.FLAT_TO_ONE = False
    with_limits = _sql(Principal(), PAGE, variables)
    assert with_limits is not None and flat is not None
    # the dataset and its coalition: two LIMIT 1 fewer, the page's own LIMITs kept
    assert _limits(with_limits) - _limits(flat) == 2
    assert "LIMIT" in flat


async def test_flat_to_ones_answer_as_strawberry(
    conn: AsyncConnection, signing_keys: KeyStore, flat_on: None
) -> None:
    coalition = await create_coalition(conn)
    shown = await create_dataset(conn, coalition)
    # unreadable to anonymous callers, with its observations
    draft = await create_dataset(conn, coalition, status="DRAFT")
    for dataset, period in ((shown, "2020"), (draft, "2020"), (shown, "2021")):
        await create_observation(conn, dataset, area_code="KE", period=period)
    async with pair(conn, signing_keys) as both:
        one, two, compiled = await both.both(PAGE, {"f": {"areas": ["KE"]}})
    assert compiled and same(one, two), (one, two)
    nodes = json.loads(one)["data"]["observations"]["nodes"]
    # the draft's observation is not readable at all; the shown ones carry their dataset
    assert [n["dataset"]["slug"] for n in nodes] == [shown["slug"], shown["slug"]]
    assert all(n["dataset"]["coalition"]["code"] == coalition["code"] for n in nodes)
