"""What goes through the compiled path and what goes back to Strawberry; one statement per
compiled request; plans reused with other values."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.harness import pair
from tests.compiled.test_differential import _headers, same, world

from lnob_api.auth.keys import KeyStore
from lnob_api.graphql.compiled import FALLBACKS
from lnob_api.observability import metrics

INTROSPECTION = "{ __schema { queryType { name } } }"
MUTATION = 'mutation { coalitionUpdate(input: {id: "x", rowVersion: 1}) { userErrors { code } } }'
W3 = "query($id: ID!) { dataset(id: $id) { title coalition { name } } }"


def _metric() -> float:
    return sum(
        s.value
        for m in metrics.COMPILED_FALLBACKS.collect()
        for s in m.samples
        if s.name.endswith("_total")
    )


class TestFallbacks:
    async def test_introspection_and_mutations_go_to_strawberry(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        async with pair(conn, signing_keys) as both:
            for query, reason in ((INTROSPECTION, "introspection"), (MUTATION, "mutation")):
                # given
                counted, labelled = _metric(), FALLBACKS[reason]
                # when
                one, two, compiled = await both.both(query)
                # then
                assert not compiled
                assert FALLBACKS[reason] == labelled + 1
                assert _metric() == counted + 1
                assert same(one, two)

    async def test_an_invalid_document_is_answered_by_strawberry(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        async with pair(conn, signing_keys) as both:
            one, two, compiled = await both.both("{ dataset(id: 1) { nope } }")
        assert not compiled
        assert same(one, two)
        assert b'"errors"' in one

    async def test_variables_that_are_not_an_object_are_refused_alike(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        async with pair(conn, signing_keys) as both:
            body = {"query": W3, "variables": [1]}
            one = await both.compiled.post("/graphql", json=body)
            two = await both.strawberry.post("/graphql", json=body)
        assert one.status_code == two.status_code == 400
        assert same(one.content, two.content)


class TestStatements:
    async def test_one_statement_whatever_the_page_size_and_nesting(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given
        w = await world(conn, signing_keys)
        seen: list[str] = []

        def note(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                seen.append(statement)

        def logged(record: Any) -> None:  # what asyncpg runs itself (the compiled statement)
            note(None, None, record.query)

        event.listen(conn.sync_connection, "before_cursor_execute", note)  # type: ignore[arg-type]
        driver: Any = (await conn.get_raw_connection()).driver_connection
        driver.add_query_logger(logged)
        counts = []
        try:
            async with pair(conn, signing_keys, query_cost_limit=10**9, rate_limit=0) as both:
                for first in (1, 10, 50):
                    query = f"""query($c: String) {{ coalition(code: $c) {{ name
                      projects(first: {first}) {{ totalCount nodes {{ title coalition {{ code }}
                      datasets(first: {first}) {{ nodes {{ slug indicators {{ code title }}
                      project {{ slug }} observations(first: {first}) {{ nodes {{ value
                      area {{ name }} dataset {{ slug }} }} }} }} }} }} }} }} }}"""
                    seen.clear()
                    # when
                    response = await both.compiled.post(
                        "/graphql",
                        # anonymous: a token's principal is looked up by a statement of its own
                        json={"query": query, "variables": {"c": w["a"]["code"]}},
                    )
                    assert "errors" not in response.json()
                    counts.append(len(seen))
        finally:
            event.remove(conn.sync_connection, "before_cursor_execute", note)  # type: ignore[arg-type]
            driver.remove_query_logger(logged)
        # then
        assert counts == [1, 1, 1], seen


class TestPlans:
    async def test_a_plan_serves_other_values_and_rebuilds_when_a_lookup_changes(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given
        w = await world(conn, signing_keys)
        gids = w["gids"]
        answers = []
        async with pair(conn, signing_keys) as both:
            for gid in (gids["PUB"], gids["PART"], "UHJvamVjdDox", gids["PUB"], gids["DRAFT"]):
                # when
                one, two, compiled = await both.both(W3, {"id": gid}, _headers(w, "member_b"))
                # then
                assert compiled and same(one, two), (one, two)
                answers.append(json.loads(one)["data"]["dataset"])
        assert answers[0]["title"] == w["datasets"]["PUB"]["title"]
        assert answers[1]["title"] == w["datasets"]["PART"]["title"]
        assert answers[2] is None  # not a dataset id
        assert answers[3] == answers[0]
        assert answers[4] is None  # a draft: hidden exactly like a missing one

    async def test_hidden_datasets_are_absent_from_lists(
        self, conn: AsyncConnection, signing_keys: KeyStore
    ) -> None:
        # given
        w = await world(conn, signing_keys)
        query = """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 50) {
          totalCount nodes { slug } } }"""
        async with pair(conn, signing_keys) as both:
            # when
            one, two, compiled = await both.both(query, {"c": [w["a"]["code"]]})
        # then
        assert compiled and same(one, two)
        slugs = {n["slug"] for n in json.loads(one)["data"]["datasets"]["nodes"]}
        assert w["datasets"]["PUB"]["slug"] in slugs
        for hidden in ("PART", "COAL", "DRAFT"):
            assert w["datasets"][hidden]["slug"] not in slugs
