"""The entities of ``declare.more``: each GraphQL type shows the fields it showed before it
was declared (the names of the committed schema file, in the same order), its declared public
fields first after ``id``, and each declared field is a column of the entity's model."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphql import GraphQLObjectType
from lnob_api.declare import Entity
from lnob_api.declare.more import ENTITIES
from lnob_api.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

# What each type showed before it was declared.
BEFORE = {
    "MarginalisedGroup": [
        "id",
        "code",
        "name",
        "description",
        "rowVersion",
        "mapsTo",
        "coalition",
    ],
    "RecommendationStatusChange": [
        "id",
        "status",
        "changedOn",
        "note",
        "recordedBy",
        "recordedAt",
        "response",
    ],
    "AuditEvent": [
        "id",
        "occurredAt",
        "clientId",
        "action",
        "entityType",
        "entityId",
        "before",
        "after",
        "requestId",
        "user",
        "coalition",
    ],
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _file_fields(type_name: str) -> list[str]:
    """The field names of ``type <type_name>`` in the committed schema file, in order."""
    sdl = SCHEMA_FILE.read_text(encoding="utf-8")
    body = re.search(rf"^type {type_name}\b[^{{]*\{{(.*?)^\}}", sdl, re.M | re.S)
    assert body is not None, type_name
    text = re.sub(r'"""(.*?)"""', "", body.group(1), flags=re.S)
    return re.findall(r"^  (\w+)\s*[(:]", text, re.M)


def _live_fields(type_name: str) -> list[str]:
    found = schema._schema.type_map[type_name]
    assert isinstance(found, GraphQLObjectType)
    return list(found.fields)


def _ids(entity: Entity) -> str:
    return entity.name


def test_every_entity_of_the_module_is_checked() -> None:
    assert sorted(e.name for e in ENTITIES) == sorted(BEFORE)


@pytest.mark.parametrize("entity", ENTITIES, ids=_ids)
def test_the_type_shows_the_fields_it_showed(entity: Entity) -> None:
    assert _file_fields(entity.name) == BEFORE[entity.name]
    assert _live_fields(entity.name) == BEFORE[entity.name]


@pytest.mark.parametrize("entity", ENTITIES, ids=_ids)
def test_the_declared_public_fields_come_first(entity: Entity) -> None:
    shown = [f.shown_as or _camel(f.name) for f in entity.fields if f.public]
    assert shown, entity.name
    assert _live_fields(entity.name)[1 : 1 + len(shown)] == shown


@pytest.mark.parametrize("entity", ENTITIES, ids=_ids)
def test_each_declared_field_is_a_model_column(entity: Entity) -> None:
    columns = set(entity.table.c.keys())
    for f in entity.fields:
        assert f.name in columns, f"{entity.name}.{f.name}"
    assert set(entity.types) == {f.name for f in entity.fields}


@pytest.mark.parametrize("entity", ENTITIES, ids=_ids)
def test_the_description_is_the_types(entity: Entity) -> None:
    found = schema._schema.type_map[entity.name]
    assert found.description == entity.description
