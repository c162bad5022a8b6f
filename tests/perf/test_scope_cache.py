"""Scoped selects are built once per principal shape and never shared across shapes: a
principal with other coalitions, grants or scopes gets its own statement, and what each one
reads stays its own however the requests interleave."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import gql, principal_client

from lnob_api.auth.principal import ANONYMOUS, Principal, PrincipalKind
from lnob_api.dataset.repository import DATASETS
from lnob_api.models.enums import CoalitionRole
from lnob_api.observation.repository import OBSERVATIONS_BY_DATASET
from lnob_api.read import repository


def _member(coalition_id: int, role: CoalitionRole = CoalitionRole.VIEWER) -> Principal:
    return Principal(
        kind=PrincipalKind.USER,
        user_id=10_000 + coalition_id,
        coalition_roles={coalition_id: role},
        member_coalition_ids=frozenset({coalition_id}),
        is_partner=True,
        scopes=frozenset({"data:read"}),
    )


def test_one_statement_per_principal_shape() -> None:
    assert repository.scoped(DATASETS, ANONYMOUS) is repository.scoped(DATASETS, Principal())
    one, other = _member(1), _member(2)
    assert repository.scoped(DATASETS, one) is repository.scoped(DATASETS, _member(1))
    assert repository.scoped(DATASETS, one) is not repository.scoped(DATASETS, other)
    editor = _member(1, CoalitionRole.EDITOR)
    assert repository.principal_shape(editor) != repository.principal_shape(one)
    assert repository.scoped(DATASETS, editor) is not repository.scoped(DATASETS, one)
    # the nested-page child statement too
    first = repository.children(ANONYMOUS, OBSERVATIONS_BY_DATASET)
    assert repository.children(Principal(), OBSERVATIONS_BY_DATASET) is first
    assert repository.children(one, OBSERVATIONS_BY_DATASET) is not first


def test_the_cache_is_bounded() -> None:
    for n in range(repository.SCOPE_CACHE_SIZE + 50):
        repository.scoped(DATASETS, _member(100_000 + n))
    assert len(repository._SCOPES[DATASETS]) <= repository.SCOPE_CACHE_SIZE


QUERY = "query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 50) { nodes { slug } } }"


async def test_interleaved_principals_read_their_own_rows(
    conn: AsyncConnection, app: object, client: httpx.AsyncClient
) -> None:
    coalition = await f.create_coalition(conn)
    shown = await f.create_dataset(conn, coalition, visibility="PUBLIC")
    inside = await f.create_dataset(conn, coalition, visibility="COALITION")
    member = _member(coalition["id"])
    async with principal_client(app, member) as as_member:
        for _ in range(2):  # the second pass reads the cached statements
            asked = {"c": [coalition["code"]]}
            body = await gql(client, QUERY, asked)
            public = {n["slug"] for n in body["data"]["datasets"]["nodes"]}
            body = await gql(as_member, QUERY, asked)
            theirs = {n["slug"] for n in body["data"]["datasets"]["nodes"]}
            assert shown["slug"] in public and inside["slug"] not in public
            assert {shown["slug"], inside["slug"]} <= theirs
