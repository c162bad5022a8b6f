"""Consent and partial grants decide whose reads see a dataset's data; a small cell stays
withheld from everyone outside the owning coalition (issue 12: the consent rule written as one
anti-join, ``visibility._consented``).

Expectations are written out by hand (not computed by the policy under test), for principals
that each see part of one coalition's data: an agency named by a consent and granted one
dataset, an agency granted all of the coalition's data but named by no consent, a member of
another coalition, an insider, anonymous. Both read paths (Strawberry and the compiled one)
answer through real HTTP; the same datasets also pass the consent rule as it was written before
(two correlated EXISTS) and as it is now, in the database, for each principal.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.access import visibility
from lnob_api.app import create_app
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import ANONYMOUS, Principal, PrincipalKind, Scope
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase
from lnob_api.models.enums import CoalitionRole
from lnob_api.models.tables import consents, datasets

BIG, SMALL = 100, 3  # sample sizes: the small cell is under the default threshold of 5
NOW = datetime.now(UTC)
ACTIVE: dict[str, Any] = {}
WITHDRAWN = {"withdrawn_at": NOW - timedelta(days=1), "withdrawal_reason": "community asked"}
LAPSED = {"expires_at": NOW - timedelta(days=1)}

# Each dataset of coalition A: its visibility and its consents (scope, state).
DATASETS: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]]] = {
    "OPEN": ("PUBLIC", []),
    "PUBLIC_OK": ("PUBLIC", [("PUBLIC", ACTIVE)]),
    "PARTNER_OK": ("PUBLIC", [("PARTNERSHIP", ACTIVE)]),
    "NAMED_OK": ("PUBLIC", [("NAMED_AGENCIES", ACTIVE)]),
    "WITHDRAWN": ("PUBLIC", [("PUBLIC", WITHDRAWN)]),
    "LAPSED": ("PUBLIC", [("PUBLIC", LAPSED)]),
    "RENEWED": ("PUBLIC", [("PUBLIC", WITHDRAWN), ("PUBLIC", ACTIVE)]),
    "GRANTED": ("COALITION", [("NAMED_AGENCIES", ACTIVE)]),
    "CLOSED": ("COALITION", []),
}
# Whose reads see each dataset's data (consents name the agency "named").
EXPECTED: dict[str, set[str]] = {
    "anonymous": {"OPEN", "PUBLIC_OK", "RENEWED"},
    # granted GRANTED alone, and named by the consents of NAMED_OK and GRANTED
    "agency_named": {"OPEN", "PUBLIC_OK", "NAMED_OK", "RENEWED", "GRANTED"},
    # granted all of coalition A's data, named by no consent: GRANTED's consent excludes it
    "agency_other": {"OPEN", "PUBLIC_OK", "RENEWED", "CLOSED"},
    "member_b": {"OPEN", "PUBLIC_OK", "PARTNER_OK", "RENEWED"},
    # an insider is admitted by any active consent; nobody reads withdrawn or lapsed data
    "viewer_a": {"OPEN", "PUBLIC_OK", "PARTNER_OK", "NAMED_OK", "RENEWED", "GRANTED", "CLOSED"},
}
INSIDERS = {"viewer_a"}

QUERY = """query($d: [ID!]) { observations(filter: {datasets: $d}, first: 100) {
  totalCount nodes { sex value sampleSize suppressed dataset { slug } } } }"""
NESTED = """query($s: String) { dataset(slug: $s) { observations(first: 10) {
  nodes { sex value sampleSize suppressed } } } }"""


def _gid(pk: int) -> str:
    return base64.b64encode(f"Dataset:{pk}".encode()).decode()


def expected_rows(principal: str) -> set[tuple[str, str, float | None, int | None, bool]]:
    inside = principal in INSIDERS
    rows = set()
    for key in EXPECTED[principal]:
        rows.add((key, "F", 10.0, BIG, False))
        rows.add((key, "M", 20.0 if inside else None, SMALL if inside else None, not inside))
    return rows


async def _world(conn: AsyncConnection, keys: KeyStore) -> dict[str, Any]:
    a = await f.create_coalition(conn)
    b = await f.create_coalition(conn)
    named = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    other = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    member_a = await f.create_organisation(conn)
    member_b = await f.create_organisation(conn)
    await f.add_member(conn, a, member_a)
    await f.add_member(conn, b, member_b)
    world: dict[str, Any] = {"a": a, "named": named, "other": other, "datasets": {}}
    for key, (level, given) in DATASETS.items():
        ds = await f.create_dataset(conn, a, visibility=level, title=f"Consent {key}")
        await f.create_observation(conn, ds, sample_size=BIG, value=10.0, sex="F")
        await f.create_observation(conn, ds, sample_size=SMALL, value=20.0, sex="M")
        for scope, state in given:
            await conn.execute(
                sa.insert(models.Consent.__table__).values(
                    lineage_id=ds["lineage_id"],
                    coalition_id=a["id"],
                    scope=scope,
                    agency_ids=[named["id"]] if scope == "NAMED_AGENCIES" else [],
                    obtained_on=NOW.date(),
                    **state,
                )
            )
        world["datasets"][key] = ds
    agency_named = await f.create_client(conn, named)
    agency_other = await f.create_client(conn, other)
    granted = world["datasets"]["GRANTED"]["id"]
    await f.create_grant(conn, a, client_id=agency_named["id"], dataset_id=granted)
    await f.create_grant(conn, a, client_id=agency_other["id"])
    world["clients"] = {"agency_named": agency_named, "agency_other": agency_other}
    frontend = await f.create_client(conn, member_a)
    viewer_a = await f.create_user(conn)
    await f.give_role(conn, viewer_a, a, "VIEWER")
    viewer_b = await f.create_user(conn)
    await f.give_role(conn, viewer_b, b, "VIEWER")
    world["users"] = {"viewer_a": viewer_a}
    world["member_b_org"] = member_b
    world["headers"] = {
        "anonymous": {},
        "agency_named": bearer(token_for(keys, client=agency_named)),
        "agency_other": bearer(token_for(keys, client=agency_other)),
        "member_b": bearer(token_for(keys, client=frontend, user=viewer_b)),
        "viewer_a": bearer(token_for(keys, client=frontend, user=viewer_a)),
    }
    return world


def _key_of(world: dict[str, Any], slug: str) -> str:
    return next(k for k, ds in world["datasets"].items() if ds["slug"] == slug)


async def _rows_of(
    client: httpx.AsyncClient, world: dict[str, Any], principal: str
) -> tuple[set[tuple[Any, ...]], int, set[tuple[Any, ...]]]:
    """The rows of the root list, its totalCount, and the rows of each dataset's own page."""
    headers = world["headers"][principal]
    ids = [_gid(ds["id"]) for ds in world["datasets"].values()]
    response = await client.post(
        "/graphql", json={"query": QUERY, "variables": {"d": ids}}, headers=headers
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    page = body["data"]["observations"]
    root = {
        (
            _key_of(world, n["dataset"]["slug"]),
            n["sex"],
            n["value"],
            n["sampleSize"],
            n["suppressed"],
        )
        for n in page["nodes"]
    }
    nested = set()
    for key, ds in world["datasets"].items():
        answer = await client.post(
            "/graphql", json={"query": NESTED, "variables": {"s": ds["slug"]}}, headers=headers
        )
        found = answer.json()["data"]["dataset"]
        for n in found["observations"]["nodes"] if found is not None else []:
            nested.add((key, n["sex"], n["value"], n["sampleSize"], n["suppressed"]))
    return root, page["totalCount"], nested


@pytest.fixture
async def compiled_client(conn: AsyncConnection, signing_keys: KeyStore) -> Any:
    settings = Settings(env="test", issuer="http://testserver", compiled=True)
    app = create_app(settings, database=ConnectionDatabase(conn), keys=signing_keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class TestPartialReaders:
    @pytest.mark.parametrize("principal", sorted(EXPECTED))
    async def test_each_path_shows_exactly_the_consented_and_granted_cells(
        self,
        principal: str,
        client: httpx.AsyncClient,
        compiled_client: httpx.AsyncClient,
        conn: AsyncConnection,
        signing_keys: KeyStore,
    ) -> None:
        # given one coalition's datasets under every consent state, and partial grants
        world = await _world(conn, signing_keys)
        for path in (client, compiled_client):
            # when the principal lists the observations and reads each dataset's own page
            root, total, nested = await _rows_of(path, world, principal)
            # then both show exactly the expected datasets' cells, the small one withheld
            # outside the coalition
            assert root == expected_rows(principal), principal
            assert nested == expected_rows(principal), principal
            assert total == 2 * len(EXPECTED[principal])


def _consented_as_before(principal: Principal, table: sa.Table) -> sa.ColumnElement[bool]:
    """The consent rule as it was written before it became one anti-join: no consent
    recorded, or an active one whose scope admits the principal, as two correlated EXISTS."""
    same_lineage = consents.c.lineage_id == table.c.lineage_id
    active = sa.and_(
        consents.c.withdrawn_at.is_(None),
        sa.or_(consents.c.expires_at.is_(None), consents.c.expires_at > sa.func.now()),
    )
    admits = visibility.consent_admits(principal, consents, table.c.coalition_id)
    return sa.or_(~sa.exists().where(same_lineage), sa.exists().where(same_lineage, active, admits))


class TestSameRuleAsBefore:
    async def test_every_principal_shape_passes_the_same_datasets(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given the same world, and principals of every shape the rule distinguishes
        world = await _world(conn, signing_keys)
        a = world["a"]["id"]
        read = frozenset({Scope.DATA_READ.value})
        shapes = {
            "anonymous": ANONYMOUS,
            "agency_named": Principal(
                kind=PrincipalKind.CLIENT,
                client_pk=world["clients"]["agency_named"]["id"],
                organisation_ids=frozenset({world["named"]["id"]}),
                scopes=read,
            ),
            "agency_other": Principal(
                kind=PrincipalKind.CLIENT,
                client_pk=world["clients"]["agency_other"]["id"],
                organisation_ids=frozenset({world["other"]["id"]}),
                scopes=read,
            ),
            "member_b": Principal(
                kind=PrincipalKind.USER,
                user_id=1,
                organisation_ids=frozenset({world["member_b_org"]["id"]}),
                is_partner=True,
                scopes=read,
            ),
            "viewer_a": Principal(
                kind=PrincipalKind.USER,
                user_id=world["users"]["viewer_a"]["id"],
                coalition_roles={a: CoalitionRole.VIEWER},
                member_coalition_ids=frozenset({a}),
                scopes=read,
            ),
        }
        ours = [ds["id"] for ds in world["datasets"].values()]
        for name, principal in shapes.items():
            # when the datasets pass the consent rule, now and as it was written before
            async def passing(rule: sa.ColumnElement[bool]) -> set[str]:
                found = await conn.execute(
                    sa.select(datasets.c.id).where(datasets.c.id.in_(ours), rule)
                )
                by_id = {ds["id"]: k for k, ds in world["datasets"].items()}
                return {by_id[pk] for (pk,) in found}

            now = await passing(visibility.dataset_data_visible(principal))
            before = await passing(_consented_as_before(principal, datasets))
            # then the same datasets pass, and the data rule shows what the table says
            assert now == EXPECTED[name], name
            assert await passing(visibility._consented(principal, datasets)) == before, name
