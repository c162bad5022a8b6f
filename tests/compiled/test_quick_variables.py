"""The compiled path coerces variables of leaf types (and lists of them) itself
(``graphql.compiled._coerced``): for valid values exactly what graphql-core's
``get_variable_values`` gives (sources, by what their types print, and coerced values), and for anything else nothing, so
that ``get_variable_values`` reports the error; over HTTP, the same bodies as Strawberry's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.compiled.harness import pair

from graphql import OperationDefinitionNode, get_variable_values, parse
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql import compiled
from lnob_api.graphql.schema import schema

LEAVES = (
    "query($id: ID!, $i: [String!], $n: Int, $s: Boolean!, $o: [DatasetOrder!], "
    "$d: Date, $j: JSON, $x: Float, $l: [Int]!) { __typename }"
)
VALID: list[dict[str, Any]] = [
    {"id": "RGF0YXNldDox", "s": True, "l": []},
    {"id": 7, "i": ["1.1.1", "2.1.1"], "n": 3.0, "s": False, "l": [1, None]},
    {"id": "x", "i": None, "n": None, "s": False, "o": ["TITLE"], "l": [2]},
    {"id": "x", "s": True, "d": "2024-05-01", "j": {"a": [1, "b"]}, "x": 2, "l": [0]},
    {"id": "x", "s": True, "o": None, "d": None, "j": None, "x": 1.5, "l": [], "extra": 1},
]
INVALID: list[dict[str, Any]] = [
    {"s": True, "l": []},  # a non-null variable missing
    {"id": None, "s": True, "l": []},
    {"id": True, "s": True, "l": []},  # an ID is a string or an integer
    {"id": "x", "s": "yes", "l": []},
    {"id": "x", "s": True, "l": [], "n": 2**40},  # beyond a 32-bit Int
    {"id": "x", "s": True, "l": [], "i": ["a", None]},  # a null item where none may be
    {"id": "x", "s": True, "l": [], "i": [1]},
    {"id": "x", "s": True, "l": [], "o": ["NO_SUCH_ORDER"]},
    {"id": "x", "s": True, "l": [], "d": "not a date"},
    {"id": "x", "s": True, "l": None},
]
SINGLE = [  # valid, but left to graphql-core: a single value given for a list
    {"id": "x", "s": True, "l": 5},
    {"id": "x", "s": True, "l": [], "i": "1.1.1"},
    {"id": "x", "s": True, "l": (1, 2)},
]


def _definition(query: str) -> OperationDefinitionNode:
    node = parse(query).definitions[0]
    assert isinstance(node, OperationDefinitionNode)
    return node


def _sources(values: Any) -> dict[str, Any]:
    """Each source as (name, type, default, value): graphql-core builds the wrapping types
    of a signature anew each time, so they compare by what they print."""
    return {
        name: (s.signature.name, str(s.signature.type), s.signature.default, s.value)
        for name, s in values.sources.items()
    }


def _slow(definition: OperationDefinitionNode, inputs: dict[str, Any]) -> Any:
    return get_variable_values(
        schema._schema, definition.variable_definitions or (), dict(inputs), max_errors=20
    )


@pytest.mark.parametrize("inputs", VALID)
def test_valid_values_are_coerced_as_graphql_core_does(inputs: dict[str, Any]) -> None:
    definition = _definition(LEAVES)
    specs = compiled._specs(definition)
    assert specs is not None
    quick = compiled._coerced(specs, inputs)
    slow = _slow(definition, inputs)
    assert not isinstance(slow, list), slow
    assert quick is not None
    assert quick.coerced == slow.coerced
    assert _sources(quick) == _sources(slow)


@pytest.mark.parametrize("inputs", INVALID + SINGLE)
def test_anything_else_is_left_to_graphql_core(inputs: dict[str, Any]) -> None:
    definition = _definition(LEAVES)
    specs = compiled._specs(definition)
    assert specs is not None
    assert compiled._coerced(specs, inputs) is None
    slow = _slow(definition, inputs)
    assert isinstance(slow, list) == (inputs not in SINGLE), slow


@pytest.mark.parametrize(
    "query",
    [
        "query($n: Int = 3) { __typename }",  # a default value
        "query($f: ObservationFilter) { __typename }",  # an input object
        "query($f: [ObservationFilter!]) { __typename }",
    ],
)
def test_defaults_and_input_objects_go_through_graphql_core(query: str) -> None:
    assert compiled._specs(_definition(query)) is None


QUERY = "query($c: String!, $n: Int) { coalition(code: $c) { code projects(first: $n) { nodes { slug } } } }"


def _without_ids(body: bytes) -> bytes:
    return re.sub(rb'"requestId":"[0-9a-f]+"', b'"requestId":""', body)


@pytest.mark.parametrize(
    "variables",
    [
        {"c": "CODE"},
        {"c": "CODE", "n": 2},
        {"c": "CODE", "n": 2.0},
        {"c": "CODE", "n": None},
        {"c": None},
        {"n": 1},
        {"c": 5},
        {"c": "CODE", "n": "two"},
        {"c": "CODE", "n": 2**40},
    ],
)
async def test_bodies_over_http_are_strawberry_s(
    conn: AsyncConnection, signing_keys: KeyStore, variables: dict[str, Any]
) -> None:
    # given a public coalition with projects
    coalition = await f.create_coalition(conn)
    for _ in range(3):
        await f.create_project(conn, coalition)
    variables = {k: coalition.code if v == "CODE" else v for k, v in variables.items()}
    async with pair(conn, signing_keys, rate_limit=0) as both:
        # when both paths answer the same variables
        quick, strawberry, _ = await both.both(QUERY, variables)
    # then their bodies are the same, errors included (each request has an id of its own)
    assert _without_ids(quick) == _without_ids(strawberry), variables
