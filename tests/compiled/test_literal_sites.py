"""A connection whose arguments hold no variable keeps its plan's values on every request
(``pages.LITERAL_SITES``); one with a variable recomputes them from the request's values."""

from __future__ import annotations

from typing import Any

from graphql import parse
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.graphql.compiled.build import Compiler
from lnob_api.graphql.cost_model import CostRules, prepare
from lnob_api.graphql.schema import schema

QUERY = """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 50) {
  nodes { slug observations(first: 5, filter: {sex: ["F"]}) { nodes { value } } } } }"""


def _compiler(variables: dict[str, Any]) -> Compiler:
    op = prepare(
        schema._schema, parse(QUERY), None, variables, CostRules(default_page=20, max_page=100)
    )
    assert op is not None and not isinstance(op, list)
    return Compiler(schema=schema, op=op, principal=ANONYMOUS, language="en", max_page=100)


def test_literal_connection_keeps_its_values_variable_one_recomputes() -> None:
    planned = _compiler({"c": ["A"]})
    planned.statement()
    assert len(planned.sites) == 2
    first = planned.refreshed(planned.sites)
    later = _compiler({"c": ["B"]})
    again = later.refreshed(planned.sites)
    datasets, observations = again
    assert first[0]["where"] == [["A"]]
    assert datasets["where"] == [["B"]]  # the variable's new value
    assert datasets["page"].limit == 50
    assert observations is first[1]  # the plan's own values, not recomputed
    assert observations["page"].limit == 5
    assert observations["where"] == [["F"]]
    fresh = _compiler({"c": ["B"]})
    fresh.statement()
    assert fresh.refreshed(fresh.sites)[1] == observations  # what recomputing would give
