"""A publication's language, declared as the dataset's is: a BCP 47 tag of the partnership's
languages in canonical case on create and update, filterable (``languages``), and in the DCAT
catalog as ``dct:language`` of the publications that draw on a dataset."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import httpx
import pytest
import rdflib
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.catalog.test_dcat_shacl import violations
from tests.helpers import bearer, gql, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.declare import language

DCT = rdflib.Namespace("http://purl.org/dc/terms/")
BASE = "http://testserver"
CREATE = """mutation($input: PublicationCreateInput!) { publicationCreate(input: $input) {
  publication { id language rowVersion } userErrors { field code message } } }"""
UPDATE = """mutation($input: PublicationUpdateInput!) { publicationUpdate(input: $input) {
  publication { language title } userErrors { field code message } } }"""
LIST = """query($filter: PublicationFilter) { publications(filter: $filter, first: 50) {
  nodes { slug language } } }"""


@pytest.fixture
async def editor(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, Any]:
    coalition = await f.create_coalition(conn)
    org = await f.create_organisation(conn)
    await f.add_member(conn, coalition, org)
    frontend = await f.create_client(conn, org)
    user = await f.create_user(conn)
    await f.give_role(conn, user, coalition, "EDITOR")
    token = token_for(signing_keys, client=frontend, user=user, scopes=("data:read", "data:write"))
    return {"coalition": coalition, "headers": bearer(token)}


async def _create(
    client: httpx.AsyncClient, editor: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    input = {"coalition": editor["coalition"]["code"], "kind": "REPORT", "title": "Summary"}
    body = await gql(client, CREATE, {"input": input | fields}, headers=editor["headers"])
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["publicationCreate"]
    return payload


class TestEdits:
    @pytest.mark.parametrize(
        ("given", "stored"),
        [("sw-ke", "sw-KE"), ("BN-beng-in", "bn-Beng-IN"), (" ny ", "ny"), ("vi-704", "vi-704")],
    )
    async def test_a_tag_is_stored_in_canonical_case(
        self, client: httpx.AsyncClient, editor: dict[str, Any], given: str, stored: str
    ) -> None:
        payload = await _create(client, editor, language=given)
        assert payload["userErrors"] == []
        assert payload["publication"]["language"] == stored

    async def test_omitted_it_is_english(
        self, client: httpx.AsyncClient, editor: dict[str, Any]
    ) -> None:
        payload = await _create(client, editor)
        assert payload["publication"]["language"] == "en"

    @pytest.mark.parametrize(
        ("given", "code", "says"),
        [
            ("zu", "INVALID", "not a language the partnership publishes in"),
            ("en_GB", "INVALID", "not a BCP 47 language tag"),
            ("en-Latn-GB-x1", "TOO_LONG", "at most 12 characters"),
        ],
    )
    async def test_an_update_with_a_bad_tag_names_the_field_and_writes_nothing(
        self, client: httpx.AsyncClient, editor: dict[str, Any], given: str, code: str, says: str
    ) -> None:
        created = (await _create(client, editor, language="da"))["publication"]
        change = {"id": created["id"], "rowVersion": created["rowVersion"], "title": "New"}
        body = await gql(
            client, UPDATE, {"input": change | {"language": given}}, headers=editor["headers"]
        )
        payload = body["data"]["publicationUpdate"]
        assert payload["publication"] is None
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (["input", "language"], code)
        assert says in error["message"]
        # the good update still works on the same row version: nothing was written
        fixed = await gql(
            client, UPDATE, {"input": change | {"language": "NE"}}, headers=editor["headers"]
        )
        assert fixed["data"]["publicationUpdate"]["publication"] == {
            "language": "ne",
            "title": "New",
        }


class TestFilter:
    async def test_languages_matches_any_of_the_tags_given_in_any_case(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        made = {
            tag: await f.create_publication(conn, None, language=tag)
            for tag in ("hi", "sw-KE", "sw", "vi")
        }
        body = await gql(client, LIST, {"filter": {"languages": ["SW-ke", "hi"]}})
        found = {n["slug"] for n in body["data"]["publications"]["nodes"]}
        assert found == {made["hi"]["slug"], made["sw-KE"]["slug"]}
        # the older single-code filter reads tags the same way
        body = await gql(client, LIST, {"filter": {"language": "SW-ke"}})
        assert [n["slug"] for n in body["data"]["publications"]["nodes"]] == [made["sw-KE"]["slug"]]

    @pytest.mark.parametrize(
        ("filter", "where"),
        [({"languages": ["en", "klingon"]}, "filter.languages.1"), ({"language": "zz"}, None)],
    )
    async def test_a_bad_tag_is_a_clear_error(
        self, client: httpx.AsyncClient, filter: dict[str, Any], where: str | None
    ) -> None:
        body = await gql(client, LIST, {"filter": filter})
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "filter.language" in error["message"]
        if where is not None:
            assert where in error["message"]


class TestStored:
    async def test_the_database_refuses_a_tag_in_another_case(self, conn: AsyncConnection) -> None:
        with pytest.raises(IntegrityError, match="ck_publications_language"):
            async with conn.begin_nested():
                await f.create_publication(conn, None, language="sw-ke")

    def test_the_migration_rewrites_old_codes_in_canonical_case(self) -> None:
        path = next(Path(models.__file__).parents[1].glob("migrations/versions/0016_*.py"))
        spec = importlib.util.spec_from_file_location("migration_0016", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.PATTERN == language.PATTERN
        rewritten = {old: module.canonical(old) for old in ("sw-ke", "bn-beng-in", "en-x-priv")}
        assert rewritten == {"sw-ke": "sw-KE", "bn-beng-in": "bn-Beng-IN", "en-x-priv": "en"}


class TestCatalog:
    async def test_a_dataset_names_the_visible_publications_drawing_on_it_with_their_language(
        self, client: httpx.AsyncClient, conn: AsyncConnection
    ) -> None:
        # given a public dataset, a public Swahili report and a coalition-only brief on it
        coalition = await f.create_coalition(conn)
        dataset = await f.create_dataset(conn, coalition)
        report = await f.create_publication(
            conn, coalition, language="sw-KE", title="Ripoti", published_on=None
        )
        brief = await f.create_publication(conn, coalition, visibility="COALITION")
        for publication in (report, brief):
            await conn.execute(
                sa.insert(models.PublicationDataset.__table__).values(
                    publication_id=publication["id"], dataset_id=dataset["id"]
                )
            )
        # when anyone reads the catalog
        response = await client.get("/catalog")
        data = rdflib.Graph().parse(data=response.text, format="json-ld")
        # then the dataset is referenced by the report alone, in Swahili
        iri = rdflib.URIRef(f"{BASE}/catalog/datasets/{dataset['slug']}")
        cited = set(data.objects(iri, DCT.isReferencedBy))
        node = rdflib.URIRef(f"{BASE}/catalog#publication-{report['slug']}")
        assert cited == {node}
        assert str(data.value(node, DCT.title)) == "Ripoti"
        assert data.value(node, DCT.language) == rdflib.URIRef(
            "http://publications.europa.eu/resource/authority/language/SWA"
        )
        assert brief["slug"] not in response.text
        conforms, report_text = violations(data)
        assert conforms, report_text
