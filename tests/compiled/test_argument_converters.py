"""The compiled plan's argument converters (``graphql.compiled.convert``) give what Strawberry's
``convert_arguments`` gives, for every field of the schema that takes arguments, with values
that fill every input field, leave all out, or are null."""

from __future__ import annotations

import datetime as dt
from typing import Any

from strawberry.types.arguments import convert_arguments

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from lnob_api.graphql.compiled.convert import arguments_converter
from lnob_api.graphql.schema import schema

SCALARS: dict[str, Any] = {
    "String": "a",
    "ID": "b",
    "Int": 7,
    "Float": 1.5,
    "Boolean": True,
    "Date": dt.date(2020, 1, 2),
    "DateTime": dt.datetime(2020, 1, 2, 3, 4, tzinfo=dt.UTC),
}


def samples(type_: Any, depth: int = 0) -> list[Any]:
    """Raw values (as graphql-core coerces them) of a GraphQL input type."""
    nullable = not isinstance(type_, GraphQLNonNull)
    if not nullable:
        type_ = type_.of_type
    out: list[Any] = [None] if nullable else []
    if isinstance(type_, GraphQLList):
        items = samples(type_.of_type, depth + 1)
        out += [[], [items[-1]], items[-2:]]
    elif isinstance(type_, GraphQLEnumType):
        out += [v.value for v in type_.values.values()][:2]
    elif isinstance(type_, GraphQLScalarType):
        out.append(SCALARS.get(type_.name, "raw"))
    elif isinstance(type_, GraphQLInputObjectType):
        required = {
            name: samples(f.type, depth + 1)[-1]
            for name, f in type_.fields.items()
            if isinstance(f.type, GraphQLNonNull)
        }
        out.append(required)
        if depth < 3:
            full = {name: samples(f.type, depth + 1)[-1] for name, f in type_.fields.items()}
            out.append(full)
            out.append(
                {**required, **{name: None for name in type_.fields if name not in required}}
            )
    return out


def cases() -> list[tuple[str, Any, dict[str, Any]]]:
    found = []
    graphql_schema = schema._schema
    for gtype in graphql_schema.type_map.values():
        if not isinstance(gtype, GraphQLObjectType) or gtype.name.startswith("__"):
            continue
        for name, definition in gtype.fields.items():
            if not definition.args:
                continue
            field = schema.get_field_for_type(name, gtype.name)
            if field is None:
                continue
            found.append((f"{gtype.name}.{name}", field, {}))
            for arg_name, arg in definition.args.items():
                for value in samples(arg.type):
                    found.append((f"{gtype.name}.{name}({arg_name})", field, {arg_name: value}))
            every = {a: samples(arg.type)[-1] for a, arg in definition.args.items()}
            found.append((f"{gtype.name}.{name}(all)", field, every))
    return found


def converted(convert: Any, raw: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", convert(raw)
    except Exception as exc:
        return "raised", type(exc)


def test_converters_agree_with_strawberry() -> None:
    checked = 0
    for where, field, raw in cases():
        ours = converted(arguments_converter(schema, field), raw)
        theirs = converted(
            lambda r, f=field: convert_arguments(
                r,
                f.arguments,
                scalar_registry=schema.schema_converter.scalar_registry,
                config=schema.config,
            ),
            raw,
        )
        assert ours == theirs, where
        assert repr(ours) == repr(theirs), where
        checked += 1
    assert checked > 100


def test_a_list_argument_is_copied() -> None:
    """Strawberry copies leaf lists (graphql-core shares defaults between requests)."""
    gtype = schema._schema.type_map["Query"]
    assert isinstance(gtype, GraphQLObjectType)
    field = schema.get_field_for_type("observations", "Query")
    assert field is not None
    indicators = ["a", "b"]
    out = arguments_converter(schema, field)({"filter": {"indicators": indicators}})
    assert out["filter"].indicators == indicators
    assert out["filter"].indicators is not indicators
