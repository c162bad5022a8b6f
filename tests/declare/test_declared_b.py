"""The row-backed types declared last (issue 11, part B): each GraphQL type's fields are those
of schema/schema.graphql, in its order, and each declared field is a column of its model that
the type holds (shown when public, under its GraphQL name)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from graphql import GraphQLObjectType, build_schema
from lnob_api.declare import Entity
from lnob_api.declare.statistics import SCORECARD_SCORE
from lnob_api.declare.stewardship import CONSENT, DATASET_VALIDATION
from lnob_api.graphql.dataset.stewardship import Consent
from lnob_api.graphql.dataset.types import DatasetValidation
from lnob_api.graphql.schema import schema
from lnob_api.graphql.scorecard.types import ScorecardScore

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
DECLARED: list[tuple[Entity, type[Any]]] = [
    (SCORECARD_SCORE, ScorecardScore),
    (CONSENT, Consent),
    (DATASET_VALIDATION, DatasetValidation),
]


def _names(type_map: Any, name: str) -> list[str]:
    found = type_map[name]
    assert isinstance(found, GraphQLObjectType), name
    return list(found.fields)


@pytest.fixture(scope="module")
def written() -> Any:
    return build_schema(SCHEMA_FILE.read_text()).type_map


@pytest.mark.parametrize(("entity", "cls"), DECLARED, ids=lambda v: getattr(v, "name", ""))
def test_the_type_shows_the_fields_of_the_schema_file(
    entity: Entity, cls: type[Any], written: Any
) -> None:
    served = _names(schema._schema.type_map, entity.name)  # type: ignore[attr-defined]
    assert served == _names(written, entity.name)
    assert cls.__strawberry_definition__.name == entity.name  # type: ignore[attr-defined]
    assert schema._schema.type_map[entity.name].description == entity.description  # type: ignore[attr-defined]


@pytest.mark.parametrize(("entity", "cls"), DECLARED, ids=lambda v: getattr(v, "name", ""))
def test_each_declared_field_is_a_column_the_type_holds(entity: Entity, cls: type[Any]) -> None:
    shown = {d.python_name: d for d in cls.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    held = {a.name for a in dataclasses.fields(cls)}  # Private ones included
    served = schema._schema.type_map[entity.name].fields  # type: ignore[attr-defined]
    convert = schema.config.name_converter.apply_naming_config
    order = []
    for d in entity.fields:
        assert d.name in entity.table.c, d.name
        assert d.name in entity.types, d.name
        assert d.name in held, d.name
        assert (d.name in shown) == d.public, d.name
        if d.public:
            name = shown[d.name].graphql_name or convert(d.name)
            assert name in served, d.name
            assert served[name].description == d.description, d.name
            order.append(name)
    # the declared public fields keep the declaration's order in the type
    assert order == [n for n in served if n in order]
