"""Pages stay fast when most rows are invisible to the caller (issue 10, the agency case).

The plan test reads the real statement of an agency's observation page and asserts its shape
with EXPLAIN (no ANALYZE, no timing): the datasets the caller reads are computed once, and the
key-order walk is bounded, with a gated second part that never walks the key index. The
equivalence test pages through the leak matrix's world with tiny windows, so that the second
part answers most pages, and checks every principal still gets exactly the rows written out in
the leak matrix, in order, without duplicates. The window is swapped where the page reads it:
the ``Source`` held by the ``observations`` field's ``Paged`` extension (the module attribute
``observation_repo.OBSERVATIONS`` is read once, when the field is declared).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.access.test_leak_matrix import (
    OBS,
    PRINCIPALS,
    _caller,
    _gid,
    _obs_rows,
    expected_data,
    world,  # noqa: F401  (the leak matrix's world fixture)
)
from tests.helpers import bearer

from lnob_api.graphql.connections import Paged, paged_of
from lnob_api.graphql.observation.queries import ObservationQueries
from lnob_api.observation import repository as observation_repo
from lnob_api.read import repository as read_repository

PAGE = (
    "query($d:[ID!], $after:String){ observations(filter:{datasets:$d}, first:2, after:$after)"
    f" {{ {OBS.replace('node {', 'cursor node { id', 1)} pageInfo {{ hasNextPage endCursor }} }} }}"
)


def _observations_field() -> Paged:
    """The ``Paged`` extension of ``Query.observations``: what the Strawberry path pages with."""
    field = ObservationQueries.__strawberry_definition__.get_field("observations")
    assert field is not None
    paged = paged_of(field)
    assert paged is not None and paged.relation is observation_repo.OBSERVATIONS
    return paged


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_windowed_pages_give_every_principal_its_rows(
    client: httpx.AsyncClient,
    world: dict[str, Any],  # noqa: F811
    principal: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    call = _caller(client, world, principal)
    ids = [_gid("Dataset", ds["id"]) for ds in world["datasets"].values()]
    paged = _observations_field()
    used: list[int] = []  # the windows the pages were built with (the real ``windowed``)
    real_windowed = read_repository.windowed

    def windowed(*args: Any, **kwargs: Any) -> Any:
        used.append(args[3])
        return real_windowed(*args, **kwargs)

    monkeypatch.setattr(read_repository, "windowed", windowed)
    for window in (1, 3, 5_000):
        source = dataclasses.replace(observation_repo.OBSERVATIONS, window=window)
        monkeypatch.setattr(paged, "relation", source)
        used.clear()
        nodes: list[dict[str, Any]] = []
        after = None
        for _ in range(20):
            data = (await call(PAGE, {"d": ids, "after": after}))["observations"]
            nodes += [e["node"] for e in data["edges"]]
            if not data["pageInfo"]["hasNextPage"]:
                break
            after = data["pageInfo"]["endCursor"]
        keys = [n["id"] for n in nodes]
        assert len(keys) == len(set(keys)), f"window {window}: a row came twice"
        assert _obs_rows(world, nodes) == expected_data(principal), f"window {window}"
        assert len(nodes) == len(expected_data(principal))
        assert used and set(used) == {window}, f"window {window}: pages used {set(used)}"


def _plan_nodes(node: dict[str, Any], parents: tuple[str, ...] = ()) -> Iterator[Any]:
    """Every plan node with the relationships (InitPlan, SubPlan, Outer...) above it."""
    here = (*parents, node.get("Parent Relationship", ""))
    yield node, here
    for child in node.get("Plans", []):
        yield from _plan_nodes(child, here)


async def test_agency_page_plan_reads_visible_datasets_once_and_bounds_the_walk(
    client: httpx.AsyncClient,
    world: dict[str, Any],  # noqa: F811
    conn: AsyncConnection,
) -> None:
    seen: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM observations" in statement:
            seen.append((statement, parameters))

    event.listen(conn.sync_connection, "before_cursor_execute", capture)  # type: ignore[arg-type]
    try:
        response = await client.post(
            "/graphql",
            json={
                "query": '{ observations(filter:{indicators:["1.1.1"], areas:["KE"]}, first:48)'
                " { edges { node { value } } } }"
            },
            headers=bearer(world["tokens"]["client_granted_coal_dataset"]),
        )
    finally:
        event.remove(conn.sync_connection, "before_cursor_execute", capture)  # type: ignore[arg-type]
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert len(seen) == 1, [s for s, _ in seen]
    statement, parameters = seen[0]
    raw = (await conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters)).scalar()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    nodes = list(_plan_nodes(plan))

    grant_scans = [rel for n, rel in nodes if n.get("Relation Name") == "grants"]
    assert grant_scans, "the agency's grants are part of the statement"
    # Grants (and every other dataset predicate) are evaluated in InitPlans: once per
    # statement, never once per observation row.
    assert all("InitPlan" in rel for rel in grant_scans), grant_scans
    conditions = [
        " ".join(str(n.get(k, "")) for k in ("Index Cond", "Filter", "Recheck Cond"))
        for n, _ in nodes
        if n.get("Relation Name") == "observations"
    ]
    assert any("dataset_id = ANY" in c for c in conditions), conditions
    # The bounded walk and the gated rest of the page.
    assert any(n["Node Type"] == "Append" for n, _ in nodes)
    assert any("One-Time Filter" in n for n, _ in nodes)
