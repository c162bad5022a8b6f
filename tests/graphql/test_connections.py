"""Every connection field comes from the one factory (graphql/connections.py)."""

from __future__ import annotations

from strawberry.types.base import StrawberryObjectDefinition

from graphql import GraphQLObjectType
from lnob_api.graphql.connections import PAGING, Paged, paged_of
from lnob_api.graphql.schema import schema
from lnob_api.read.relations import Source, Through, ToMany


def _connection_fields() -> list[tuple[str, str, Paged | None, list[str]]]:
    """(type, python name, Paged extension, GraphQL argument names) of each connection field."""
    found = []
    names = schema.config.name_converter
    for name, type_ in schema.schema_converter.type_map.items():
        definition = type_.definition
        graphql = schema._schema.get_type(name)
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        if not isinstance(graphql, GraphQLObjectType):
            continue
        for field in definition.fields:
            graphql_field = graphql.fields.get(names.get_graphql_name(field))
            if graphql_field is not None and str(graphql_field.type).endswith("Connection!"):
                found.append((name, field.python_name, paged_of(field), list(graphql_field.args)))
    return found


def test_every_connection_field_is_made_by_the_factory() -> None:
    fields = _connection_fields()
    assert len(fields) >= 30
    hand_written = [f"{owner}.{name}" for owner, name, paged, _ in fields if paged is None]
    assert hand_written == []


def test_connection_fields_carry_their_relation_and_the_paging_arguments() -> None:
    by_name = {(owner, name): (paged, args) for owner, name, paged, args in _connection_fields()}
    paged, args = by_name[("Dataset", "observations")]
    assert paged is not None
    assert isinstance(paged.relation, ToMany)
    assert paged.relation.source.name == "Observation"
    assert args == ["filter", *PAGING, "version"]
    root, root_args = by_name[("Query", "datasets")]
    assert root is not None and isinstance(root.relation, Source)
    assert root_args == ["filter", "orderBy", "asOf", *PAGING]
    nested, _ = by_name[("SdgTarget", "projects")]
    assert nested is not None and isinstance(nested.relation, ToMany | Through)
    assert nested.parent_key == "code"
