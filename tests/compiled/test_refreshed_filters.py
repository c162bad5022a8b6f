"""A cached plan refreshed with other filter values (their parameters read from the declared
conditions, without clauses: ``declare.conditions.Deferred``) answers what Strawberry answers,
for filters of every kind the refresh reads that way (indicator codes, declared dimensions,
areas, periods, coalition codes, words), anonymous and with an agency token; one plan serves
every variant of one shape, and the variants' answers differ."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import _headers, same, world

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.compiled import params

OBSERVATIONS = """query($i: [String!], $s: [String!], $a: [String!], $from: String,
  $to: String) { observations(first: 50, filter: {indicators: $i, sex: $s, areas: $a,
  periodFrom: $from, periodTo: $to}) { totalCount nodes { value period sex areaCode } } }"""
OBSERVATION_VARIANTS = [
    {"i": ["1.1.1"], "s": ["_T", "F"], "a": ["KE"], "from": "2000", "to": "2030"},
    {"i": ["1.1.1"], "s": ["F", "_T"], "a": [" ke"], "from": "2003", "to": "2005-Q2"},
    {"i": ["9.9.9"], "s": ["_T", "M"], "a": ["KE"], "from": "2001", "to": "2001"},
    {"i": ["1.1.1"], "s": ["M", "_T"], "a": ["XX"], "from": "2000", "to": "2030"},
]
DATASETS = """query($c: [String!], $q: String) { datasets(first: 50, filter: {coalitions: $c,
  search: $q}) { totalCount nodes { slug } } }"""


def _dataset_variants(w: dict[str, Any]) -> list[dict[str, Any]]:
    a, b = w["a"]["code"], w["b"]["code"]
    return [
        {"c": [a], "q": "quoted end"},
        {"c": [a.lower()], "q": "xyz nothing"},
        {"c": [b], "q": "quoted back"},
    ]


@pytest.mark.parametrize("principal", ["anonymous", "client_granted_a"])
@pytest.mark.parametrize("which", ["observations", "datasets"])
async def test_refreshed_filter_values_answer_as_strawberry(
    conn: AsyncConnection, signing_keys: KeyStore, principal: str, which: str
) -> None:
    # given
    w = await world(conn, signing_keys)
    query, variants = (
        (OBSERVATIONS, OBSERVATION_VARIANTS) if which == "observations" else (DATASETS, [])
    )
    variants = variants or _dataset_variants(w)
    assert params.DECLARED
    totals = []
    async with pair(conn, signing_keys) as both:
        for variables in variants:
            # when
            one, two, compiled = await both.both(query, variables, _headers(w, principal))
            # then
            assert compiled and same(one, two), (variables, one, two)
            totals.append(json.loads(one)["data"][which]["totalCount"])
        # one plan, refreshed with each variant's values
        assert len(both.reads.plans) == 1
    assert len(set(totals)) > 1, totals
