"""Entity declarations: what they generate, and the copy into a new version (isDemo kept)."""

from __future__ import annotations

import dataclasses

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api import models
from lnob_api.auth.keys import KeyStore
from lnob_api.declare.entities import DATASET, PUBLICATION
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.graphql.ids import to_global_id
from lnob_api.graphql.publication.types import Publication


def test_every_declared_field_is_a_field_of_the_graphql_type() -> None:
    for entity, graphql_type in ((DATASET, Dataset), (PUBLICATION, Publication)):
        names = {field.name for field in dataclasses.fields(graphql_type)}
        assert {d.name for d in entity.fields} <= names, entity.name


def test_the_model_gives_each_field_its_type_and_json_shape() -> None:
    assert DATASET.json("title") == "string"
    assert DATASET.json("version") == "integer"
    assert DATASET.json("is_demo") == "boolean"
    assert DATASET.json("collection_start") == "string|null"
    assert DATASET.json("sample_size") == "integer|null"
    assert PUBLICATION.json("published_on") == "string|null"


def test_the_copy_into_a_new_version_keeps_every_copied_column() -> None:
    copied = {d.name for d in DATASET.fields if d.copied}
    assert {"is_demo", "title", "slug", "lineage_id", "visibility"} <= copied
    # what a new version sets itself, never copied
    assert not copied & {"status", "version", "row_version", "published_at", "superseded_at"}


PUBLISH = """mutation($input: DatasetPublishInput!) { datasetPublish(input: $input) {
  dataset { id rowVersion } userErrors { code } } }"""
UPDATE = """mutation($input: DatasetUpdateInput!) { datasetUpdate(input: $input) {
  dataset { version status isDemo title } userErrors { code } } }"""


async def test_a_new_version_of_a_demo_dataset_is_a_demo_dataset(
    client: httpx.AsyncClient, conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given a published demo dataset and an editor of its coalition
    coalition = await f.create_coalition(conn)
    org = await f.create_organisation(conn)
    await f.add_member(conn, coalition, org)
    frontend = await f.create_client(conn, org)
    editor = await f.create_user(conn)
    await f.give_role(conn, editor, coalition, "EDITOR")
    token = token_for(
        signing_keys, client=frontend, user=editor, scopes=("data:read", "data:write")
    )
    dataset = await f.create_dataset(conn, coalition, is_demo=True)
    row_version = await conn.scalar(
        sa.select(models.Dataset.row_version).where(models.Dataset.id == dataset["id"])
    )
    # when the editor edits it (a published version is immutable: a new version opens)
    body = (
        await client.post(
            "/graphql",
            json={
                "query": UPDATE,
                "variables": {
                    "input": {
                        "id": to_global_id("Dataset", dataset["id"]),
                        "rowVersion": row_version,
                        "title": "Corrected",
                    }
                },
            },
            headers=bearer(token),
        )
    ).json()
    # then the new version is a demo dataset too
    assert body["data"]["datasetUpdate"]["userErrors"] == []
    assert body["data"]["datasetUpdate"]["dataset"] == {
        "version": 2,
        "status": "DRAFT",
        "isDemo": True,
        "title": "Corrected",
    }
