"""A field's raw arguments read from its node's template (``convert.argument_values``) are
graphql-core's ``get_argument_values``, for every argument of every root query field: passed
as one variable, or as an input object literal whose every field is a variable (the W2 and W4
shape), each variable absent, null or given (twice, with other values: the template is
refilled), and both raise alike where graphql-core raises."""

from __future__ import annotations

from typing import Any

import pytest
from graphql.execution.values import get_argument_values, get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.helpers import examples

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    OperationDefinitionNode,
    get_named_type,
    is_composite_type,
    parse,
)
from lnob_api.graphql.compiled import convert
from lnob_api.graphql.schema import schema

GRAPHQL = schema._schema
# Two variable inputs per scalar (as JSON carries them).
SCALARS: dict[str, tuple[Any, Any]] = {
    "String": ("a", "b c"),
    "ID": ("RGF0YXNldDox", "x"),
    "Int": (7, 0),
    "Float": (1.5, -2.0),
    "Boolean": (True, False),
    "Date": ("2020-01-02", "2021-12-31"),
    "DateTime": ("2020-01-02T03:04:05+00:00", "2024-06-01T00:00:00+00:00"),
}


def _sample(type_: Any, pick: int) -> Any:
    """A variable input of ``type_`` (the ``pick``-th of two), or KeyError when unknown."""
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, pick)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, pick), _sample(type_.of_type, 1 - pick)][: pick + 1]
    if isinstance(type_, GraphQLEnumType):
        names = list(type_.values)
        return names[pick % len(names)]
    if isinstance(type_, GraphQLScalarType):
        return SCALARS[type_.name][pick]
    if isinstance(type_, GraphQLInputObjectType):
        return {name: _sample(f.type, pick) for name, f in type_.fields.items()}
    raise KeyError(type_)


def _documents() -> list[tuple[str, str, dict[str, Any]]]:
    """(label, document, {variable: its type}) for each argument of each root field."""
    found = []
    for name, field in GRAPHQL.query_type.fields.items():  # type: ignore[union-attr]
        selection = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
        for arg_name, arg in field.args.items():
            others = "".join(
                f", {n}: {_literal(a.type)}" for n, a in field.args.items() if n != arg_name
            )
            others = others if all(_literal(a.type) for a in field.args.values()) else ""
            found.append(
                (
                    f"{name}.{arg_name}",
                    f"query($v: {arg.type}) {{ {name}({arg_name}: $v{others}){selection} }}",
                    {"v": arg.type},
                )
            )
            named = get_named_type(arg.type)
            if isinstance(named, GraphQLInputObjectType) and not isinstance(arg.type, GraphQLList):
                fields = list(named.fields.items())
                declared = ", ".join(f"$f{i}: {f.type}" for i, (_, f) in enumerate(fields))
                literal = ", ".join(f"{n}: $f{i}" for i, (n, _) in enumerate(fields))
                found.append(
                    (
                        f"{name}.{arg_name}{{...}}",
                        f"query({declared}) {{ {name}({arg_name}: {{{literal}}}){selection} }}",
                        {f"f{i}": f.type for i, (_, f) in enumerate(fields)},
                    )
                )
    return found


def _literal(type_: Any) -> str:
    """A literal for a required argument beside the one under test ("" where none is needed)."""
    if not isinstance(type_, GraphQLNonNull):
        return "null"
    named = type_.of_type
    if isinstance(named, GraphQLScalarType) and named.name in ("String", "ID"):
        return '"z"'
    if isinstance(named, GraphQLScalarType) and named.name == "Int":
        return "1"
    return ""


DOCUMENTS = _documents()


def _field(document: str) -> tuple[OperationDefinitionNode, GraphQLField, FieldNode]:
    operation = parse(document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    node = operation.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    definition = GRAPHQL.query_type.fields[node.name.value]  # type: ignore[union-attr]
    return operation, definition, node


def _read(read: Any, definition: GraphQLField, node: FieldNode, variables: Any) -> Any:
    try:
        return read(definition, node, variables)
    except GraphQLError as error:
        return ("error", error.message)


def test_the_corpus_covers_the_root_fields() -> None:
    assert len(DOCUMENTS) > 40
    assert any(label.endswith("{...}") for label, _, _ in DOCUMENTS)


@pytest.mark.parametrize(("label", "document", "types"), DOCUMENTS, ids=[d[0] for d in DOCUMENTS])
def test_templates_read_what_graphql_core_reads(
    label: str, document: str, types: dict[str, Any]
) -> None:
    operation, definition, node = _field(document)
    convert._TEMPLATES.pop(id(node), None)

    @settings(max_examples=examples(0.1, least=5), deadline=None)
    @given(
        st.lists(
            st.sampled_from(["absent", "null", 0, 1]), min_size=len(types), max_size=len(types)
        )
    )
    def check(kinds: list[Any]) -> None:
        for pick in (0, 1):  # the same pattern twice, with other values: refilled
            inputs: dict[str, Any] = {}
            for (name, type_), kind in zip(types.items(), kinds, strict=True):
                if kind == "null":
                    inputs[name] = None
                elif kind != "absent":
                    try:
                        inputs[name] = _sample(type_, kind if pick == 0 else 1 - kind)
                    except KeyError:
                        return  # a scalar without samples (JSON, Upload)
            variables = get_variable_values(GRAPHQL, operation.variable_definitions, inputs)
            if isinstance(variables, list):  # invalid inputs: the request never gets here
                return
            # when
            ours = _read(convert.argument_values, definition, node, variables)
            theirs = _read(get_argument_values, definition, node, variables)
            # then
            assert ours == theirs, (label, inputs)

    check()


def test_a_template_is_refilled_not_shared() -> None:
    operation, definition, node = _field(
        "query($i: [String!]) { observations(filter: {indicators: $i}, first: 5) { totalCount } }"
    )
    first = get_variable_values(GRAPHQL, operation.variable_definitions, {"i": ["1.1.1"]})
    later = get_variable_values(GRAPHQL, operation.variable_definitions, {"i": ["2.1.1", "x"]})
    assert not isinstance(first, list) and not isinstance(later, list)
    # when
    one = convert.argument_values(definition, node, first)
    two = convert.argument_values(definition, node, later)
    # then
    assert one == get_argument_values(definition, node, first)
    assert two == get_argument_values(definition, node, later)
    assert (one["filter"]["indicators"], two["filter"]["indicators"]) == (["1.1.1"], ["2.1.1", "x"])
    assert one["filter"] is not two["filter"]
