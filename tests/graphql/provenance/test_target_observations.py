"""Observations at SDG target level: readable, filterable by target, same visibility and
suppression as indicator-level values, and kept apart by the observation key."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import gql, principal_client

from lnob_api import models
from lnob_api.auth.principal import Principal, PrincipalKind
from lnob_api.graphql.ids import to_global_id
from lnob_api.models.enums import CoalitionRole

OBSERVATIONS = """
query($filter: ObservationFilter) {
  observations(filter: $filter, first: 100) {
    totalCount
    nodes { id value suppressed indicator { code } target { code goal { code } } }
  }
}
"""
NODE = """
query($id: ID!) { node(id: $id) { ... on Observation { value indicator { code } target { code } } } }
"""
DATASET = """
query($slug: String!) { dataset(slug: $slug) {
  observations(filter: {targets: ["10.2"]}) { nodes { target { code } indicator { code } } }
} }
"""


async def _target_row(conn: AsyncConnection, dataset: Any, **overrides: Any) -> Any:
    return await f.create_observation(
        conn, dataset, indicator_id=None, target_code="10.2", **overrides
    )


def _gid(row: Any) -> str:
    return to_global_id("Observation", row["id"])


def _member(coalition: Any) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        user_id=1,
        member_coalition_ids=frozenset({coalition["id"]}),
        coalition_roles={coalition["id"]: CoalitionRole.VIEWER},
        scopes=frozenset({"data:read"}),
    )


async def _nodes(client: httpx.AsyncClient, filter: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, OBSERVATIONS, {"filter": filter})
    assert "errors" not in body, body
    return {n["id"]: n for n in body["data"]["observations"]["nodes"]}


class TestReading:
    async def test_target_level_values_name_their_target(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given
        dataset = await f.create_dataset(conn, await f.create_coalition(conn))
        at_target = await _target_row(conn, dataset)
        at_indicator = await f.create_observation(conn, dataset, indicator="1.1.1")
        # when
        found = await _nodes(client, {"datasets": [to_global_id("Dataset", dataset["id"])]})
        # then
        assert found[_gid(at_target)]["indicator"] is None
        assert found[_gid(at_target)]["target"] == {"code": "10.2", "goal": {"code": 10}}
        assert found[_gid(at_indicator)]["indicator"] == {"code": "1.1.1"}
        assert found[_gid(at_indicator)]["target"] == {"code": "1.1", "goal": {"code": 1}}
        body = await gql(client, NODE, {"id": _gid(at_target)})
        assert body["data"]["node"] == {
            "value": 12.5,
            "indicator": None,
            "target": {"code": "10.2"},
        }

    async def test_filter_by_target(self, conn: AsyncConnection, client: httpx.AsyncClient) -> None:
        # given values at 10.2, of indicator 10.2.1 (under 10.2) and of 1.1.1
        dataset = await f.create_dataset(conn, await f.create_coalition(conn))
        at_target = await _target_row(conn, dataset)
        under = await f.create_observation(conn, dataset, indicator="10.2.1")
        elsewhere = await f.create_observation(conn, dataset, indicator="1.1.1")
        scope = {"datasets": [to_global_id("Dataset", dataset["id"])]}
        # when / then
        assert set(await _nodes(client, scope | {"targets": ["10.2"]})) == {
            _gid(at_target),
            _gid(under),
        }
        assert set(await _nodes(client, scope | {"targets": ["1.1"]})) == {_gid(elsewhere)}
        # an indicator filter keeps indicator-level values only
        assert set(await _nodes(client, scope | {"indicators": ["10.2.1"]})) == {_gid(under)}
        nested = await gql(client, DATASET, {"slug": dataset["slug"]})
        assert {str(n) for n in nested["data"]["dataset"]["observations"]["nodes"]} == {
            str({"target": {"code": "10.2"}, "indicator": None}),
            str({"target": {"code": "10.2"}, "indicator": {"code": "10.2.1"}}),
        }


class TestVisibility:
    async def test_coalition_data_stays_inside(self, conn: AsyncConnection, app: Any) -> None:
        # given a target-level value in a COALITION dataset
        coalition = await f.create_coalition(conn)
        dataset = await f.create_dataset(conn, coalition, visibility="COALITION")
        row = await _target_row(conn, dataset)
        scope = {"datasets": [to_global_id("Dataset", dataset["id"])]}
        # when
        async with principal_client(app, Principal()) as anonymous:
            outside = await _nodes(anonymous, scope)
            outside_node = await gql(anonymous, NODE, {"id": _gid(row)})
        async with principal_client(app, _member(coalition)) as member:
            inside = await _nodes(member, scope | {"targets": ["10.2"]})
        # then
        assert outside == {}
        assert outside_node["data"]["node"] is None
        assert set(inside) == {_gid(row)}

    async def test_small_cells_are_withheld(self, conn: AsyncConnection, app: Any) -> None:
        # given a public target-level value from 3 people
        coalition = await f.create_coalition(conn)
        dataset = await f.create_dataset(conn, coalition)
        row = await _target_row(conn, dataset, sample_size=3)
        scope = {"targets": ["10.2"], "datasets": [to_global_id("Dataset", dataset["id"])]}
        # when
        async with principal_client(app, Principal()) as anonymous:
            outside = await _nodes(anonymous, scope)
        async with principal_client(app, _member(coalition)) as member:
            inside = await _nodes(member, scope)
        # then
        assert (outside[_gid(row)]["value"], outside[_gid(row)]["suppressed"]) == (None, True)
        assert (inside[_gid(row)]["value"], inside[_gid(row)]["suppressed"]) == (12.5, False)


class TestKey:
    async def test_one_of_indicator_or_target(self, conn: AsyncConnection) -> None:
        dataset = await f.create_dataset(conn, await f.create_coalition(conn))
        for overrides in ({"target_code": "10.2"}, {"indicator_id": None}):
            with pytest.raises(IntegrityError, match="indicator_or_target"):
                async with conn.begin_nested():
                    await f.create_observation(conn, dataset, **overrides)

    async def test_target_level_duplicates_are_refused(self, conn: AsyncConnection) -> None:
        # given
        dataset = await f.create_dataset(conn, await f.create_coalition(conn))
        await _target_row(conn, dataset)
        # when / then: the same key again
        with pytest.raises(IntegrityError, match="uq_observations_key"):
            async with conn.begin_nested():
                await _target_row(conn, dataset)
        # another target, or another disaggregation, is a different value
        await f.create_observation(conn, dataset, indicator_id=None, target_code="10.3")
        await _target_row(conn, dataset, sex="F")
        count = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(models.Observation)
            .where(models.Observation.dataset_id == dataset["id"])
        )
        assert count == 3
