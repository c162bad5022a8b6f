"""A windowed page's to-ones (``compiled.pages.Pages.joined_late``): the observations' root
page is a union of parts under a LIMIT, and each node's dataset and area are LEFT JOINed once
to the page's final rows, after its LIMIT, not looked up by a LATERAL per row. The answers are
Strawberry's for principals who see all, some or none of the datasets."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.access.test_leak_matrix import _build_world
from tests.compiled.harness import pair
from tests.compiled.test_differential import same
from tests.compiled.test_shared_plans import _sql
from tests.helpers import bearer

from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal
from lnob_api.graphql.compiled import pages

NODES = """query($f: ObservationFilter) { observations(filter: $f, first: 3) {
  nodes { value period sex dataset { slug title } area { code name } } } }"""
INFO = """query($f: ObservationFilter) { observations(filter: $f, first: 3) {
  edges { cursor node { sex dataset { slug } area { name } } }
  pageInfo { hasNextPage endCursor } } }"""


def _late_joins(sql: str) -> list[tuple[str, str]]:
    """(table, the page's column) of each to-one LEFT JOINed to the page's final rows: the
    windowed select's LATERAL (``page``), or its first ``size`` rows (``capped``)."""
    return re.findall(
        r"LEFT OUTER JOIN \(SELECT (\w+)\.(?:(?!LEFT OUTER JOIN).)*?\) AS join\d+"
        r" ON join\d+\.\w+ = (?:capped|page)\d+\.(\w+)",
        sql,
        re.DOTALL,
    )


@pytest.mark.parametrize("query", [NODES, INFO])
def test_a_windowed_page_joins_its_to_ones_to_its_final_rows(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables: dict[str, Any] = {"f": {"indicators": ["1.1.1"]}}
    sql = _sql(Principal(), query, variables)
    assert sql is not None and " UNION ALL " in sql  # the windowed plan
    assert sorted(_late_joins(sql)) == [("areas", "area_code"), ("datasets", "dataset_id")]
    # no lookup per row, and each join made once (not in each part of the union)
    assert "datasets.id = capped" not in sql and "datasets.id = page" not in sql
    assert "WHERE areas.code = " not in sql
    assert sql.count("LEFT OUTER JOIN (SELECT datasets.") == 1
    monkeypatch.setattr(pages, "WINDOWED_JOINS", "lateral")
    laterals = _sql(Principal(), query, variables)
    assert laterals is not None and _late_joins(laterals) == []
    assert "WHERE areas.code = " in laterals


async def test_windowed_joins_answer_as_strawberry(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    w = await _build_world(conn, signing_keys)
    gid = {
        key: base64.b64encode(f"Dataset:{ds['id']}".encode()).decode()
        for key, ds in w["datasets"].items()
    }
    filters = {
        "indicator": {"indicators": ["1.1.1"]},
        "coalition_only": {"datasets": [gid["COAL"]]},
        "public_and_coalition": {"datasets": [gid["PUB"], gid["COAL"]]},
    }
    seen: dict[tuple[str, str, str], list[Any]] = {}
    async with pair(conn, signing_keys) as both:
        for who in ("anonymous", "viewer_a", "client_granted_a", "client_without_grant"):
            headers = bearer(w["tokens"][who]) if who != "anonymous" else {}
            for name, where in filters.items():
                for label, query in (("nodes", NODES), ("info", INFO)):
                    one, two, compiled = await both.both(query, {"f": where}, headers)
                    assert compiled and same(one, two), (who, name, label, one, two)
                    page = json.loads(one)["data"]["observations"]
                    items = page.get("nodes") or [e["node"] for e in page.get("edges") or []]
                    seen[(who, name, label)] = items
    slug = {key: ds["slug"] for key, ds in w["datasets"].items()}
    # anonymous callers and an agency without a grant see none of the coalition's own data
    for who in ("anonymous", "client_without_grant"):
        assert seen[(who, "coalition_only", "nodes")] == []
        assert seen[(who, "coalition_only", "info")] == []
        shown = [n["dataset"]["slug"] for n in seen[(who, "public_and_coalition", "nodes")]]
        assert shown == [slug["PUB"], slug["PUB"]]
    # its members and the granted agency see it, each row with its own dataset and area
    for who in ("viewer_a", "client_granted_a"):
        nodes = seen[(who, "public_and_coalition", "nodes")]
        assert [n["dataset"]["slug"] for n in nodes] == [slug["PUB"]] * 2 + [slug["COAL"]]
        assert all(n["area"]["code"] and n["area"]["name"] for n in nodes)
        edges = seen[(who, "coalition_only", "info")]
        assert [n["dataset"]["slug"] for n in edges] == [slug["COAL"]] * 2
    # the indicator's page: only readable datasets' rows, each with its dataset
    anonymous = {n["dataset"]["slug"] for n in seen[("anonymous", "indicator", "nodes")]}
    assert anonymous == {slug["PUB"]}
