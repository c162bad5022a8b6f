"""Slugs never reveal hidden records: each coalition creates in its own namespace, so another
coalition's hidden slugs and titles change nothing in what a create answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.integrity.world import World, committed_world

from lnob_api.auth.keys import KeyStore

E = "userErrors { field code message }"
MUTATIONS = {
    "dataset": (
        "mutation($i: DatasetCreateInput!) { datasetCreate(input: $i) {"
        f" dataset {{ slug }} {E} }} }}"
    ),
    "project": (
        "mutation($i: ProjectCreateInput!) { projectCreate(input: $i) {"
        f" project {{ slug }} {E} }} }}"
    ),
    "publication": (
        "mutation($i: PublicationCreateInput!) { publicationCreate(input: $i) {"
        f" publication {{ slug }} {E} }} }}"
    ),
}
READ = {
    "dataset": "query($s: String!) { dataset(slug: $s) { slug } }",
    "project": "query($s: String!) { project(slug: $s) { slug } }",
    "publication": "query($s: String!) { publication(slug: $s) { slug } }",
}


@pytest.fixture
async def world(engine: AsyncEngine, signing_keys: KeyStore) -> AsyncIterator[World]:
    async for w in committed_world(engine, signing_keys):
        yield w


async def _create(
    world: World, kind: str, coalition: dict[str, Any], who: str, **values: Any
) -> dict[str, Any]:
    fields = {"coalition": coalition["code"], **values}
    if kind == "publication":
        fields["kind"] = "REPORT"
    data = await world.call(MUTATIONS[kind], {"i": fields}, who)
    return next(iter(data.values()))


@pytest.mark.parametrize("kind", ["dataset", "project", "publication"])
class TestSlugProbes:
    async def test_a_hidden_slug_changes_nothing_for_another_coalition(
        self, world: World, kind: str
    ) -> None:
        # given a record of coalition A that B's admin may not see
        hidden = await _create(world, kind, world.a, "admin", title="Secret survey of wards")
        slug = hidden[kind]["slug"]
        assert (await world.call(READ[kind], {"s": slug}, "other"))[kind] is None
        # when B's admin asks for that slug, and for one nobody has
        taken = await _create(world, kind, world.b, "other", title="t", slug=slug)
        free = await _create(world, kind, world.b, "other", title="t", slug=f"{slug}-unused")
        # then both answers have the same shape: accepted, in B's namespace
        prefix = world.b["code"].lower() + "-"
        assert taken == {kind: {"slug": prefix + slug}, "userErrors": []}
        assert free == {kind: {"slug": f"{prefix}{slug}-unused"}, "userErrors": []}

    async def test_automatic_slugs_do_not_count_past_hidden_titles(
        self, world: World, kind: str
    ) -> None:
        # given two hidden records of coalition A titled alike
        for _ in range(2):
            await _create(world, kind, world.a, "admin", title="Water points")
        # when B's admin creates a record with that title
        mine = await _create(world, kind, world.b, "other", title="Water points")
        # then its slug is the first of B's namespace (no -2, -3 betraying A's)
        assert mine[kind]["slug"] == f"{world.b['code'].lower()}-water-points"
        # and B's own records count up, as they see them
        again = await _create(world, kind, world.b, "other", title="Water points")
        assert again[kind]["slug"] == f"{world.b['code'].lower()}-water-points-2"

    async def test_a_collision_is_within_the_callers_coalition(
        self, world: World, kind: str
    ) -> None:
        first = await _create(world, kind, world.a, "admin", title="t", slug="baseline")
        assert first[kind]["slug"] == f"{world.a['code'].lower()}-baseline"
        second = await _create(world, kind, world.a, "admin", title="t", slug="baseline")
        assert [(e["field"], e["code"]) for e in second["userErrors"]] == [
            (["input", "slug"], "NOT_UNIQUE")
        ]
