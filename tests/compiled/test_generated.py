"""Generated queries (hypothesis-graphql) over the root fields the compiled path covers: both
paths answer byte for byte the same, anonymous and as a coalition insider. A fifth of the
hypothesis profile's count of queries per caller (tests/conftest.py: 20 with ``ci``, the
default; 60 with ``long``), drawn the same way on every run (``derandomize``): most drawn
arguments are invalid and go to Strawberry for their error, and a free draw of 20 once held
no query the compiled path answers, failing the check that some did."""

from __future__ import annotations

from datetime import UTC

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import _headers, same, world
from tests.helpers import examples

import graphql
from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.schema import schema

EXAMPLES = examples(1 / 5)
SDL = graphql.print_schema(schema._schema)
SCALARS = {
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
    "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())),
    "JSON": st.just(nodes.String("{}")),
    "Upload": st.just(graphql.NullValueNode()),
}
ROOTS = [
    name
    for name in (
        "coalition",
        "coalitions",
        "dataset",
        "datasets",
        "project",
        "projects",
        "indicator",
        "indicators",
        "observations",
        "sdgGoals",
        "areas",
    )
    if name in schema._schema.query_type.fields  # type: ignore[union-attr]
]


def _draw(count: int) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        st.sampled_from(ROOTS).flatmap(lambda n: queries(SDL, fields=[n], custom_scalars=SCALARS))
    )
    def collect(query: str) -> None:
        found.append(query)

    collect()
    return found


async def test_generated_queries_answer_the_same(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given
    w = await world(conn, signing_keys)
    documents = _draw(EXAMPLES)
    compiled_count = 0
    async with pair(conn, signing_keys, rate_limit=0) as both:
        for principal in ("anonymous", "viewer_a"):
            for query in documents:
                # when
                one, two, compiled = await both.both(query, {}, _headers(w, principal))
                # then
                assert same(one, two), (principal, query, one, two)
                compiled_count += compiled
    print(f"generated: {len(documents) * 2} requests, {compiled_count} compiled")
    assert compiled_count > 0
