"""The leak matrix: every principal x every read path x datasets of each visibility and status.

Expected outcomes are written out by hand below (not computed by the policy under test). A new
read path is one entry in META_PATHS or DATA_PATHS; a new principal is one entry in PRINCIPALS
and one row in each expectation table.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore

DATASETS = ("PUB", "PART", "COAL", "DRAFT", "RETR")
BIG, SMALL = 100, 3  # sample sizes: the small cell is under the default threshold of 5

# Which datasets' metadata each principal sees.
ALL = set(DATASETS)
OPEN = {"PUB", "RETR"}
PARTNER = {"PUB", "PART", "RETR"}
INSIDER = {"PUB", "PART", "COAL", "RETR"}
EXPECTED_META: dict[str, set[str]] = {
    "anonymous": OPEN,
    "viewer_a": INSIDER,
    "editor_a": ALL,
    "admin_a": ALL,
    "viewer_a_without_read_scope": OPEN,
    "member_b": PARTNER,
    "partnership_admin": PARTNER,
    "client_of_member_org_a": INSIDER,
    "client_granted_a": INSIDER,
    "client_granted_coal_dataset": {"PUB", "COAL", "RETR"},
    "client_grant_expired": OPEN,
    "client_grant_revoked": OPEN,
    "client_without_grant": OPEN,
}
# Who reads small cells of coalition A unsuppressed: its insiders only.
SEES_SMALL_CELLS = {"viewer_a", "editor_a", "admin_a", "client_of_member_org_a"}


def expected_data(principal: str) -> set[tuple[str, str, float | None, int | None]]:
    """(dataset, sex, value, sample size) rows: retracted data is gone; outside the coalition a
    small cell's value and its sample size are both withheld."""
    rows = set()
    inside = principal in SEES_SMALL_CELLS
    for key in EXPECTED_META[principal] - {"RETR"}:
        rows.add((key, "F", 10.0, BIG))
        rows.add((key, "M", 20.0 if inside else None, SMALL if inside else None))
    return rows


def _gid(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def _build_world(conn: AsyncConnection, keys: KeyStore) -> dict[str, Any]:
    a = await f.create_coalition(conn)
    b = await f.create_coalition(conn)
    project = await f.create_project(conn, a)
    world: dict[str, Any] = {"a": a, "b": b, "project": project, "datasets": {}, "tokens": {}}
    publication = await f.create_publication(conn, a)
    world["publication"] = publication
    for key in DATASETS:
        status = {"DRAFT": "DRAFT", "RETR": "RETRACTED"}.get(key, "PUBLISHED")
        visibility = {"PART": "PARTNERSHIP", "COAL": "COALITION"}.get(key, "PUBLIC")
        ds = await f.create_dataset(
            conn,
            a,
            status=status,
            visibility=visibility,
            project_id=project["id"],
            title=f"Leak {key} household data",
        )
        await f.link_indicator(conn, ds, "1.1.1")
        await f.create_observation(conn, ds, sample_size=BIG, value=10.0, sex="F")
        await f.create_observation(conn, ds, sample_size=SMALL, value=20.0, sex="M")
        await conn.execute(
            sa.insert(models.PublicationDataset.__table__).values(
                publication_id=publication["id"], dataset_id=ds["id"]
            )
        )
        world["datasets"][key] = ds
    member_a = await f.create_organisation(conn)
    member_b = await f.create_organisation(conn)
    agency = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    await f.add_member(conn, a, member_a)
    await f.add_member(conn, b, member_b)
    frontend = await f.create_client(conn, member_a)
    tokens = world["tokens"]

    async def user_token(
        name: str,
        *,
        role: tuple[Any, str] | None = None,
        admin: bool = False,
        scopes: tuple[str, ...] = ("data:read",),
    ) -> None:
        user = await f.create_user(conn, is_partnership_admin=admin)
        if role is not None:
            await f.give_role(conn, user, role[0], role[1])
        tokens[name] = token_for(keys, client=frontend, user=user, scopes=scopes)

    await user_token("viewer_a", role=(a, "VIEWER"))
    await user_token("editor_a", role=(a, "EDITOR"))
    await user_token("admin_a", role=(a, "ADMIN"))
    await user_token("viewer_a_without_read_scope", role=(a, "VIEWER"), scopes=("data:write",))
    await user_token("member_b", role=(b, "VIEWER"))
    await user_token("partnership_admin", admin=True, scopes=("data:read", "partnership:admin"))
    tokens["client_of_member_org_a"] = token_for(keys, client=frontend)
    now = datetime.now(UTC)
    for name, grant in [
        ("client_granted_a", {}),
        ("client_granted_coal_dataset", {"dataset_id": world["datasets"]["COAL"]["id"]}),
        ("client_grant_expired", {"expires_at": now - timedelta(days=1)}),
        ("client_grant_revoked", {"revoked_at": now - timedelta(hours=1)}),
        ("client_without_grant", None),
    ]:
        machine = await f.create_client(conn, agency)
        if grant is not None:
            await f.create_grant(conn, a, client_id=machine["id"], **grant)
        tokens[name] = token_for(keys, client=machine)
    return world


def _keys_of(world: dict[str, Any], slugs: list[str]) -> set[str]:
    by_slug = {ds["slug"]: key for key, ds in world["datasets"].items()}
    return {by_slug[s] for s in slugs if s in by_slug}


Gql = Callable[[str, dict[str, Any] | None], Awaitable[dict[str, Any]]]


async def _edges(
    gql: Gql, query: str, variables: dict[str, Any], *path: str
) -> list[dict[str, Any]]:
    data = await gql(query, variables)
    for part in path:
        data = data[part]
    return [e["node"] for e in data["edges"]] if "edges" in data else data


# ---- metadata paths: each returns the dataset keys it exposes -------------------------------


async def root_list(gql: Gql, w: dict[str, Any]) -> set[str]:
    nodes = await _edges(
        gql,
        "query($c:[String!]){ datasets(filter:{coalitions:$c}, first:100) { edges { node { slug } } } }",
        {"c": [w["a"]["code"]]},
        "datasets",
    )
    return _keys_of(w, [n["slug"] for n in nodes])


async def root_total(gql: Gql, w: dict[str, Any]) -> set[str]:
    data = await gql(
        "query($c:[String!]){ datasets(filter:{coalitions:$c}) { totalCount } }",
        {"c": [w["a"]["code"]]},
    )
    count = data["datasets"]["totalCount"]
    return {f"count={count}"}


async def search(gql: Gql, w: dict[str, Any]) -> set[str]:
    nodes = await _edges(
        gql,
        '{ datasets(filter:{search:"leak household"}, first:100) { edges { node { slug } } } }',
        {},
        "datasets",
    )
    return _keys_of(w, [n["slug"] for n in nodes])


async def by_slug(gql: Gql, w: dict[str, Any]) -> set[str]:
    seen = set()
    for key, ds in w["datasets"].items():
        data = await gql("query($s:String){ dataset(slug:$s) { slug } }", {"s": ds["slug"]})
        if data["dataset"] is not None:
            seen.add(key)
    return seen


async def by_id(gql: Gql, w: dict[str, Any]) -> set[str]:
    seen = set()
    for key, ds in w["datasets"].items():
        data = await gql(
            "query($i:ID){ dataset(id:$i) { slug } }", {"i": _gid("Dataset", ds["id"])}
        )
        if data["dataset"] is not None:
            seen.add(key)
    return seen


async def node(gql: Gql, w: dict[str, Any]) -> set[str]:
    ids = [_gid("Dataset", ds["id"]) for ds in w["datasets"].values()]
    data = await gql(
        "query($ids:[ID!]!){ nodes(ids:$ids) { ... on Dataset { slug } } }", {"ids": ids}
    )
    return _keys_of(w, [n["slug"] for n in data["nodes"] if n])


async def coalition_datasets(gql: Gql, w: dict[str, Any]) -> set[str]:
    nodes = await _edges(
        gql,
        "query($c:String){ coalition(code:$c) { datasets(first:100) { edges { node { slug } } } } }",
        {"c": w["a"]["code"]},
        "coalition",
        "datasets",
    )
    return _keys_of(w, [n["slug"] for n in nodes])


async def project_datasets(gql: Gql, w: dict[str, Any]) -> set[str]:
    nodes = await _edges(
        gql,
        "query($s:String!){ project(slug:$s) { datasets(first:100) { edges { node { slug } } } } }",
        {"s": w["project"]["slug"]},
        "project",
        "datasets",
    )
    return _keys_of(w, [n["slug"] for n in nodes])


async def indicator_datasets(gql: Gql, w: dict[str, Any]) -> set[str]:
    nodes = await _edges(
        gql,
        '{ indicator(code:"1.1.1") { datasets(first:100) { edges { node { slug } } } } }',
        {},
        "indicator",
        "datasets",
    )
    return _keys_of(w, [n["slug"] for n in nodes])


async def publication_datasets(gql: Gql, w: dict[str, Any]) -> set[str]:
    data = await gql(
        "query($s:String){ publication(slug:$s) { datasets { slug } } }",
        {"s": w["publication"]["slug"]},
    )
    return _keys_of(w, [n["slug"] for n in data["publication"]["datasets"]])


META_PATHS = [
    root_list,
    search,
    by_slug,
    by_id,
    node,
    coalition_datasets,
    project_datasets,
    indicator_datasets,
    publication_datasets,
]


# ---- data paths: each returns (dataset, sample size, value) rows ----------------------------

ObsRows = set[tuple[str, str, float | None, int | None]]


def _obs_rows(w: dict[str, Any], nodes: list[dict[str, Any]]) -> ObsRows:
    by_id = {_gid("Dataset", ds["id"]): key for key, ds in w["datasets"].items()}
    rows = set()
    for n in nodes:
        assert (n["value"] is None) == n["suppressed"]
        rows.add((by_id[n["dataset"]["id"]], n["sex"], n["value"], n["sampleSize"]))
    return rows


OBS = "edges { node { value suppressed sampleSize sex dataset { id } } }"


async def observations_root(gql: Gql, w: dict[str, Any]) -> ObsRows:
    ids = [_gid("Dataset", ds["id"]) for ds in w["datasets"].values()]
    nodes = await _edges(
        gql,
        f"query($d:[ID!]){{ observations(filter:{{datasets:$d}}, first:100) {{ {OBS} }} }}",
        {"d": ids},
        "observations",
    )
    return _obs_rows(w, nodes)


async def observations_by_area(gql: Gql, w: dict[str, Any]) -> ObsRows:
    nodes = await _edges(
        gql,
        f'{{ observations(filter:{{areas:["KE"], indicators:["1.1.1"]}}, first:100) {{ {OBS} }} }}',
        {},
        "observations",
    )
    mine = {_gid("Dataset", ds["id"]) for ds in w["datasets"].values()}
    return _obs_rows(w, [n for n in nodes if n["dataset"]["id"] in mine])


async def dataset_observations(gql: Gql, w: dict[str, Any]) -> ObsRows:
    nodes = await _edges(
        gql,
        f"query($c:[String!]){{ datasets(filter:{{coalitions:$c}}, first:100) {{ edges {{ node {{ observations(first:10) {{ {OBS} }} }} }} }} }}",
        {"c": [w["a"]["code"]]},
        "datasets",
    )
    return _obs_rows(w, [e["node"] for n in nodes for e in n["observations"]["edges"]])


async def indicator_observations(gql: Gql, w: dict[str, Any]) -> ObsRows:
    nodes = await _edges(
        gql,
        f'{{ indicator(code:"1.1.1") {{ observations(first:100) {{ {OBS} }} }} }}',
        {},
        "indicator",
        "observations",
    )
    mine = {_gid("Dataset", ds["id"]) for ds in w["datasets"].values()}
    return _obs_rows(w, [n for n in nodes if n["dataset"]["id"] in mine])


async def observation_nodes(gql: Gql, w: dict[str, Any], conn: AsyncConnection) -> ObsRows:
    ids = [_gid("Observation", r) for r in w["observation_ids"]]
    data = await gql(
        "query($ids:[ID!]!){ nodes(ids:$ids) { ... on Observation { value suppressed sampleSize sex dataset { id } } } }",
        {"ids": ids},
    )
    return _obs_rows(w, [n for n in data["nodes"] if n])


# Bulk paths over HTTP use the same principal through the Authorization header.
Http = Callable[[str, dict[str, Any]], Awaitable[httpx.Response]]


def _num(text: str) -> float | None:
    return float(text) if text not in ("", "NaN") else None


async def csv_export(gql: Gql, w: dict[str, Any], http: Http) -> ObsRows:
    response = await http("/exports/observations.csv", {"indicator": "1.1.1"})
    assert response.status_code in (200, 404), response.text
    by_slug = {ds["slug"]: key for key, ds in w["datasets"].items()}
    rows = set()
    for r in csv.DictReader(io.StringIO(response.text)) if response.status_code == 200 else []:
        if r["dataset"] in by_slug:
            size = int(r["sample_size"]) if r["sample_size"] else None
            rows.add((by_slug[r["dataset"]], r["sex"], _num(r["value"]), size))
    return rows


async def sdmx_csv(gql: Gql, w: dict[str, Any], http: Http) -> set[tuple[str, str, float | None]]:
    response = await http(f"/sdmx/data/DF_LNOB_{w['a']['code']}", {"format": "csvdata"})
    if response.status_code == 404:  # SDMX answers "no results" with 404
        return set()
    assert response.status_code == 200, response.text
    by_slug = {ds["slug"]: key for key, ds in w["datasets"].items()}
    return {
        (by_slug[r["DATASET"]], r["SEX"], _num(r["OBS_VALUE"]))
        for r in csv.DictReader(io.StringIO(response.text))
        if r.get("DATASET") in by_slug
    }


async def indicator_series(gql: Gql, w: dict[str, Any]) -> ObsRows:
    data = await gql(
        '{ indicatorSeries(indicator: "1.1.1", areas: ["KE"]) { sex points { value suppressed sampleSize datasetId } } }',
        None,
    )
    by_id = {_gid("Dataset", ds["id"]): key for key, ds in w["datasets"].items()}
    rows = set()
    for series in data["indicatorSeries"]:
        for p in series["points"]:
            if p["datasetId"] in by_id:
                assert (p["value"] is None) == p["suppressed"]
                rows.add((by_id[p["datasetId"]], series["sex"], p["value"], p["sampleSize"]))
    return rows


DATA_PATHS = [
    observations_root,
    observations_by_area,
    dataset_observations,
    indicator_observations,
    indicator_series,
]
HTTP_PATHS = [csv_export]


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    w = await _build_world(conn, signing_keys)
    w["observation_ids"] = list(
        (
            await conn.execute(
                sa.select(models.Observation.id).where(
                    models.Observation.dataset_id.in_([ds["id"] for ds in w["datasets"].values()])
                )
            )
        ).scalars()
    )
    return w


def _caller(client: httpx.AsyncClient, world: dict[str, Any], principal: str) -> Gql:
    headers = bearer(world["tokens"][principal]) if principal != "anonymous" else {}

    async def call(query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    return call


PRINCIPALS = list(EXPECTED_META)


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("path", META_PATHS, ids=lambda p: p.__name__)
async def test_metadata_paths(
    client: httpx.AsyncClient, world: dict[str, Any], principal: str, path: Any
) -> None:
    seen = await path(_caller(client, world, principal), world)
    assert seen == EXPECTED_META[principal]


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_total_count(
    client: httpx.AsyncClient, world: dict[str, Any], principal: str
) -> None:
    seen = await root_total(_caller(client, world, principal), world)
    assert seen == {f"count={len(EXPECTED_META[principal])}"}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("path", DATA_PATHS, ids=lambda p: p.__name__)
async def test_data_paths(
    client: httpx.AsyncClient, world: dict[str, Any], principal: str, path: Any
) -> None:
    rows = await path(_caller(client, world, principal), world)
    assert rows == expected_data(principal)


def _http(client: httpx.AsyncClient, world: dict[str, Any], principal: str) -> Http:
    headers = bearer(world["tokens"][principal]) if principal != "anonymous" else {}

    async def get(path: str, params: dict[str, Any]) -> httpx.Response:
        return await client.get(path, params=params, headers=headers)

    return get


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("path", HTTP_PATHS, ids=lambda p: p.__name__)
async def test_http_data_paths(
    client: httpx.AsyncClient, world: dict[str, Any], principal: str, path: Any
) -> None:
    rows = await path(_caller(client, world, principal), world, _http(client, world, principal))
    assert rows == expected_data(principal)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_sdmx_csv(client: httpx.AsyncClient, world: dict[str, Any], principal: str) -> None:
    rows = await sdmx_csv(_caller(client, world, principal), world, _http(client, world, principal))
    assert rows == {(key, sex, value) for key, sex, value, _size in expected_data(principal)}


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_observation_nodes(
    client: httpx.AsyncClient, world: dict[str, Any], conn: AsyncConnection, principal: str
) -> None:
    rows = await observation_nodes(_caller(client, world, principal), world, conn)
    assert rows == expected_data(principal)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_observation_count(
    client: httpx.AsyncClient, world: dict[str, Any], principal: str
) -> None:
    ids = [_gid("Dataset", ds["id"]) for ds in world["datasets"].values()]
    data = await _caller(client, world, principal)(
        "query($d:[ID!]){ observations(filter:{datasets:$d}) { totalCount } }", {"d": ids}
    )
    assert data["observations"]["totalCount"] == len(expected_data(principal))
