"""A dataset's language (BCP 47), declared once: GraphQL field and filter, CSV export column
and parameter, SDMX attribute, DCAT dct:language, copied into new versions."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.auth.keys import KeyStore
from lnob_api.declare import language
from lnob_api.declare.entities import DATASET

DATASETS = """query($filter: DatasetFilter) { datasets(filter: $filter, first: 50) {
  nodes { slug language } } }"""


@pytest.fixture
async def world(conn: AsyncConnection) -> dict[str, Any]:
    coalition = await f.create_coalition(conn)
    swahili = await f.create_dataset(conn, coalition, language="sw-KE", title="Utafiti")
    english = await f.create_dataset(conn, coalition, title="Survey")
    for dataset, value in ((swahili, 10.0), (english, 20.0)):
        await f.link_indicator(conn, dataset, "1.1.1")
        await f.create_observation(
            conn, dataset, area_code=coalition["code"], value=value, sample_size=100
        )
    return {"coalition": coalition, "sw": swahili["slug"], "en": english["slug"]}


async def gql(client: httpx.AsyncClient, variables: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": DATASETS, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_tags_are_checked_and_made_canonical() -> None:
    assert language.tag(" SW-ke ") == "sw-KE"
    assert language.tag("bn-beng-in") == "bn-Beng-IN"
    assert language.tag("es-419") == "es-419"
    for bad in ("", "english", "en_GB", "en-", "xx", "de", "en-GB-x-private", "e" * 40):
        with pytest.raises(ValueError):
            language.tag(bad)
    assert language.linguistic_system("ny")["@id"].endswith("/language/NYA")
    # the database checks the canonical form (the model spells the pattern out)
    for canonical in ("sw-KE", "bn-Beng-IN", "es-419", "en"):
        assert re.fullmatch(language.PATTERN, canonical)
    constraint = next(c for c in DATASET.table.constraints if str(c.name).endswith("language"))
    assert language.PATTERN in str(constraint.sqltext)  # type: ignore[attr-defined]
    assert DATASET.field("language").copied


async def test_graphql_field_and_filter(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    body = await gql(client, {"filter": {"languages": ["SW-KE", "vi"]}})
    assert body["data"]["datasets"]["nodes"] == [{"slug": world["sw"], "language": "sw-KE"}]
    both = await gql(client, {"filter": {"languages": ["en", "sw-KE"]}})
    assert {n["slug"] for n in both["data"]["datasets"]["nodes"]} >= {world["sw"], world["en"]}
    bad = await gql(client, {"filter": {"languages": ["en", "klingon"]}})
    assert bad["data"] is None
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "filter.languages.1" in str(bad["errors"][0])


async def test_csv_export_column_and_parameter(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    response = await client.get("/exports/observations.csv", params={"language": "sw-ke"})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and {(r["dataset"], r["language"]) for r in rows} == {(world["sw"], "sw-KE")}
    bad = await client.get("/exports/observations.csv", params={"language": "en,zz"})
    assert bad.status_code == 400
    assert "language" in bad.text


async def test_sdmx_attribute(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    flow = f"DF_LNOB_{world['coalition']['code']}"
    response = await client.get(f"/sdmx/data/{flow}", params={"format": "csv2"})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["LANGUAGE"] for r in rows} == {"sw-KE", "en"}
    structure = await client.get("/sdmx/datastructure/LNOB/DSD_LNOB/1.0")
    assert structure.status_code == 200
    assert 'id="LANGUAGE"' in structure.text


async def test_dcat_language(client: httpx.AsyncClient, world: dict[str, Any]) -> None:
    response = await client.get("/catalog.jsonld")
    assert response.status_code == 200
    found = {d["dct:identifier"]: d for d in response.json()["dcat:dataset"]}
    authority = "http://publications.europa.eu/resource/authority/language/"
    assert found[world["sw"]]["dct:language"] == {
        "@id": f"{authority}SWA",
        "@type": "dct:LinguisticSystem",
    }
    assert found[world["en"]]["dct:language"]["@id"] == f"{authority}ENG"


CREATE = """mutation($input: DatasetCreateInput!) { datasetCreate(input: $input) {
  dataset { id rowVersion language } userErrors { field code } } }"""
UPDATE = """mutation($input: DatasetUpdateInput!) { datasetUpdate(input: $input) {
  dataset { language } userErrors { field code } } }"""


async def test_set_on_create_and_update(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    coalition = await f.create_coalition(conn)
    org = await f.create_organisation(conn)
    await f.add_member(conn, coalition, org)
    editor = await f.create_user(conn)
    await f.give_role(conn, editor, coalition, "EDITOR")
    token = token_for(
        signing_keys,
        client=await f.create_client(conn, org),
        user=editor,
        scopes=("data:read", "data:write"),
    )

    async def call(query: str, values: dict[str, Any]) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": query, "variables": {"input": values}}, headers=bearer(token)
        )
        payload: dict[str, Any] = next(iter(response.json()["data"].values()))
        return payload

    plain = await call(CREATE, {"coalition": coalition["code"], "title": "Default"})
    assert plain["dataset"]["language"] == "en"
    made = await call(CREATE, {"coalition": coalition["code"], "title": "Bangla", "language": "BN"})
    assert made["userErrors"] == [] and made["dataset"]["language"] == "bn"
    bad = await call(CREATE, {"coalition": coalition["code"], "title": "X", "language": "zz"})
    assert bad["dataset"] is None and bad["userErrors"] == [
        {"field": ["input", "language"], "code": "INVALID"}
    ]
    dataset = made["dataset"]
    for value, errors in (
        (None, [{"field": ["input", "language"], "code": "REQUIRED"}]),
        ("ne-np", []),
    ):
        changed = await call(
            UPDATE, {"id": dataset["id"], "rowVersion": dataset["rowVersion"], "language": value}
        )
        assert changed["userErrors"] == errors
    assert changed["dataset"]["language"] == "ne-NP"
