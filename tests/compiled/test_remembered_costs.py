"""The compiled path remembers a document's requested cost per shape and numbers of its
variables: the cost it answers is the one the QueryCost extension computes for those values,
whichever values came before."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair

from lnob_api.auth.keys import KeyStore

QUERY = """query($n: Int, $m: Int, $s: Boolean!) { coalitions(first: $n) {
  nodes { code projects(first: $m) @skip(if: $s) { nodes { slug } } } } }"""


async def test_each_request_is_costed_for_its_own_values(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given one document asked with page sizes and @skip that change its cost, some twice
    asked = [
        {"n": 1, "m": 2, "s": False},
        {"n": 3, "m": 2, "s": False},
        {"n": 1, "m": 2, "s": True},
        {"n": 1, "m": 5, "s": False},
        {"n": 1, "m": 2, "s": False},
        {"n": 3.0, "m": 2, "s": False},
        {"n": None, "m": 2, "s": False},
    ]
    costs = []
    async with pair(conn, signing_keys, rate_limit=0) as both:
        for variables in asked:
            # when
            compiled, strawberry, answered = await both.both(QUERY, variables)
            # then
            assert answered, variables
            assert compiled == strawberry, variables
            costs.append(json.loads(compiled)["extensions"]["cost"]["requestedQueryCost"])
    assert costs[0] == costs[4] and costs[1] == costs[5]
    assert len({costs[0], costs[1], costs[2], costs[3], costs[6]}) == 5, costs
