"""GET /catalog.jsonld: a DCAT-AP catalog of the released datasets the caller may read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.export.export_world import build_world

from lnob_api.auth.keys import KeyStore


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    return await build_world(conn, signing_keys)


async def catalog(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/catalog.jsonld", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    body: dict[str, Any] = response.json()
    return body


def by_slug(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["dct:identifier"]: d for d in document["dcat:dataset"]}


class TestCatalog:
    async def test_lists_what_the_caller_may_read(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        slugs = {k: v["slug"] for k, v in world["datasets"].items()}
        anonymous = by_slug(await catalog(client, world["headers"]["anonymous"]))
        insider = by_slug(await catalog(client, world["headers"]["insider"]))
        assert {slugs["pub"], slugs["other"]} <= set(anonymous)
        assert slugs["coal"] not in anonymous and slugs["draft"] not in anonymous
        assert {slugs["pub"], slugs["coal"], slugs["other"]} <= set(insider)
        assert slugs["draft"] not in insider

    async def test_describes_a_dataset_in_dcat_ap_terms(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        document = await catalog(client, {})
        assert document["@type"] == "dcat:Catalog"
        assert document["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
        pub = world["datasets"]["pub"]
        node = by_slug(document)[pub["slug"]]
        assert node["@type"] == "dcat:Dataset"
        assert node["dct:title"] == pub["title"]
        assert node["dct:publisher"]["foaf:name"] == world["a"]["name"]
        themes = {t["@id"] for t in node["dcat:theme"]}
        assert themes == {
            "http://metadata.un.org/sdg/1",
            "http://metadata.un.org/sdg/4",
            "http://publications.europa.eu/resource/authority/data-theme/SOCI",
        }
        assert "SDG indicator 1.1.1" in node["dcat:keyword"]
        assert node["dct:spatial"]["skos:notation"] == world["a"]["code"]
        assert node["dct:temporal"]["dcat:startDate"]["@value"] == "2019-01-01"
        assert node["dct:temporal"]["dcat:endDate"]["@value"] == "2021-12-31"
        assert node["dct:license"]["@id"] == "https://spdx.org/licenses/CC-BY-4.0"
        assert node["dct:issued"]["@value"].startswith("2021-06-01")
        assert "dct:modified" in node

    async def test_distributions_lead_to_the_dataset_data(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        pub = world["datasets"]["pub"]
        node = by_slug(await catalog(client, {}))[pub["slug"]]
        urls = [d["dcat:accessURL"]["@id"] for d in node["dcat:distribution"]]
        assert len(urls) == 2
        for url in urls:
            response = await client.get(url.removeprefix("http://testserver"))
            assert response.status_code == 200, (url, response.text)
            assert pub["slug"] in response.text
            assert world["datasets"]["other"]["slug"] not in response.text

    async def test_private_when_a_token_is_used(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        response = await client.get("/catalog.jsonld", headers=world["headers"]["insider"])
        assert "private" in response.headers["cache-control"]
