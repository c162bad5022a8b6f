"""Generated valid queries (hypothesis-graphql) over the whole Query type, anonymous and with
an editor's token, through the real app: never a 5xx, never an unexpected error.

Strings may hold U+0000 and any other Unicode, numbers run to the GraphQL limits, lists and
nulls everywhere the schema allows: every answer is data, or errors with a code a client can
act on. The hypothesis profile sets the number of queries per caller (tests/conftest.py: 100
with ``ci``, the default; 300, or ``LNOB_FUZZ_EXAMPLES``, with ``long``).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries
from tests.helpers import examples

import graphql
from lnob_api.graphql.schema import schema

EXAMPLES = examples()  # per caller: the profile's count
SDL = graphql.print_schema(schema._schema)
SCALARS = {
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
    "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())),
    "JSON": st.just(nodes.String("{}")),
    "Upload": st.just(graphql.NullValueNode()),
}
# Half the queries pick one root field (so that every field is drawn evenly), half several:
# sibling root fields where one fails while another is reading once ended in
# INTERNAL_SERVER_ERROR (tests/db/test_cancelled_resolvers.py).
ROOT_FIELDS = sorted(schema._schema.query_type.fields)  # type: ignore[union-attr]
QUERIES = st.one_of(
    st.sampled_from(ROOT_FIELDS).flatmap(
        lambda name: queries(SDL, fields=[name], custom_scalars=SCALARS)
    ),
    queries(SDL, custom_scalars=SCALARS),
)
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
seen: dict[str, int] = {}


async def _answer(world: dict[str, Any], who: str, query: str) -> None:
    headers = dict(world["headers"][who])
    response = await world["http"].post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, (response.status_code, query, response.text[:500])
    body = response.json()
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code and code != "INTERNAL_SERVER_ERROR", (query, error)
        seen[code] = seen.get(code, 0) + 1
    seen["requests"] = seen.get("requests", 0) + 1


@FUZZ
@given(query=QUERIES)
async def test_anonymous_queries(hostile: dict[str, Any], query: str) -> None:
    await _answer(hostile, "anonymous", query)


@FUZZ
@given(query=QUERIES)
async def test_authenticated_queries(hostile: dict[str, Any], query: str) -> None:
    await _answer(hostile, "editor", query)


def test_report() -> None:
    """Prints what the runs above met (pytest -s shows it)."""
    print(f"fuzz: {seen}")
    assert seen.get("requests", 0) >= 2 * EXAMPLES or seen == {}
