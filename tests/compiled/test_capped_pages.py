"""A forward page without pageInfo takes its first ``size`` rows alone and aggregates them in
key order, with no rank (``compiled.pages.CAPPED``); with pageInfo, or backward, the row after
the page is read and ranked away. Both answer as Strawberry does, to the row."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import same
from tests.compiled.test_shared_plans import _sql
from tests.factories import create_coalition, create_dataset, create_observation

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal

NODES = """query($f: ObservationFilter) { observations(filter: $f, first: 2) {
  nodes { period areaCode } } }"""
EDGES = """query($f: ObservationFilter) { observations(filter: $f, first: 2) {
  totalCount edges { cursor node { period } } } }"""
INFO = """query($f: ObservationFilter) { observations(filter: $f, first: 2) {
  nodes { period } pageInfo { hasNextPage endCursor } } }"""
LAST = """query($f: ObservationFilter) { observations(filter: $f, last: 2) {
  nodes { period } } }"""
NESTED = """query($f: ObservationFilter) { observations(filter: $f, first: 1) {
  nodes { dataset { observations(first: 2) { nodes { period } } } } } }"""


def test_only_forward_pages_without_page_info_go_unranked() -> None:
    variables: dict[str, Any] = {"f": {"areas": ["KE"]}}
    ranked = {q: "row_number()" in (_sql(Principal(), q, variables) or "") for q in (NODES, INFO)}
    assert ranked == {NODES: False, INFO: True}
    last = _sql(Principal(), LAST, variables)
    assert last is None or "row_number()" in last


async def test_capped_pages_answer_as_strawberry(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    coalition = await create_coalition(conn)
    dataset = await create_dataset(conn, coalition)
    draft = await create_dataset(conn, coalition, status="DRAFT")
    for period in ("2018", "2019", "2020"):
        await create_observation(conn, dataset, area_code="KE", period=period)
        await create_observation(conn, draft, area_code="KE", period=period)
    variables = {"f": {"areas": ["KE"]}}
    async with pair(conn, signing_keys) as both:
        found = {}
        for name, query in (("nodes", NODES), ("edges", EDGES), ("info", INFO), ("nested", NESTED)):
            one, two, compiled = await both.both(query, variables)
            assert compiled and same(one, two), (name, one, two)
            found[name] = json.loads(one)["data"]["observations"]
    # two of the three readable rows, in key order; the draft's never
    assert [n["period"] for n in found["nodes"]["nodes"]] == ["2018", "2019"]
    assert [e["node"]["period"] for e in found["edges"]["edges"]] == ["2018", "2019"]
    assert found["edges"]["totalCount"] == 3
    assert found["info"]["pageInfo"]["hasNextPage"] is True
    nested = found["nested"]["nodes"][0]["dataset"]["observations"]["nodes"]
    assert [n["period"] for n in nested] == ["2018", "2019"]
