"""Query cost: computed before anything runs, over-cost and over-cap operations refused with 0
SQL statements, and ``extensions.cost`` in every response."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.conftest import StatementCounter
from tests.docs.blocks import all_blocks

from graphql import (
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_input_object_type,
    is_list_type,
    parse,
)
from lnob_api.config import Settings
from lnob_api.graphql import cost_caps, cost_model
from lnob_api.graphql.cost_caps import ListTooLong
from lnob_api.graphql.cost_model import CostRules, prepare, requested_cost
from lnob_api.graphql.schema import schema

GRAPHQL: GraphQLSchema = schema._schema
RULES = CostRules(default_page=20, max_page=100)
NESTED = "datasets(first:100){nodes{observations(first:100){nodes{dataset{observations(first:100){nodes{value}}}}}}}"
ATTACK = "{ " + " ".join(f"a{i}: {NESTED}" for i in range(3)) + " }"


def cost(query: str, variables: dict[str, Any] | None = None, rules: CostRules = RULES) -> int:
    op = prepare(GRAPHQL, parse(query), None, variables, rules)
    assert isinstance(op, cost_model.Operation), op
    return requested_cost(op)


async def post(client: httpx.AsyncClient, query: str, variables: Any = None) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestStaticCost:
    def test_connections_multiply_their_children(self) -> None:
        # 2 + 10 datasets x (1 + a connection of 2 + 5 observations)
        assert cost(
            "{ datasets(first: 10) { nodes { observations(first: 5) { nodes { value } } } } }"
        ) == 2 + 10 * (1 + 2 + 5)

    def test_edges_cost_as_much_as_nodes_and_page_info_is_free(self) -> None:
        nodes = cost("{ datasets(first: 7) { nodes { id } } }")
        edges = cost(
            "{ datasets(first: 7) { edges { cursor node { id } } pageInfo { hasNextPage } } }"
        )
        assert nodes == edges == 2 + 7

    def test_default_page_and_max_page(self) -> None:
        assert cost("{ datasets { nodes { id } } }") == 2 + RULES.default_page
        assert cost("{ datasets(last: 1000) { nodes { id } } }") == 2 + RULES.max_page
        small = CostRules(default_page=20, max_page=30)
        assert cost("{ datasets(first: 100) { nodes { id } } }", rules=small) == 2 + 30

    def test_variables_set_the_page_size(self) -> None:
        query = "query($n: Int) { datasets(first: $n) { nodes { id } } }"
        assert cost(query, {"n": 3}) == 5
        assert cost(query, {}) == 2 + RULES.default_page

    def test_aliases_count_each_time(self) -> None:
        one = cost("{ datasets(first: 5) { nodes { id } } }")
        assert (
            cost(
                "{ a: datasets(first: 5) { nodes { id } } b: datasets(first: 5) { nodes { id } } }"
            )
            == 2 * one
        )

    def test_fragments_cost_as_their_inline_form(self) -> None:
        inline = "{ datasets(first: 4) { nodes { coalition { code } observations(first: 3) { nodes { area { name } } } } } }"
        spread = """{ datasets(first: 4) { nodes { ...D } } }
          fragment D on Dataset { coalition { code } ... on Dataset { observations(first: 3) { nodes { ...O } } } }
          fragment O on Observation { area { name } }"""
        assert cost(spread) == cost(inline) == 2 + 4 * (1 + 1 + 2 + 3 * 2)

    def test_skip_and_include_are_honoured(self) -> None:
        query = """query($big: Boolean!) { datasets(first: 2) { nodes { id
            observations(first: 50) @include(if: $big) { nodes { id } }
            coalition @skip(if: $big) { code } } } }"""
        assert cost(query, {"big": True}) == 2 + 2 * (1 + 2 + 50)
        assert cost(query, {"big": False}) == 2 + 2 * (1 + 1)

    def test_abstract_types_cost_their_dearest_possibility(self) -> None:
        query = """{ node(id: "x") { id ... on Dataset { observations(first: 10) { nodes { id } } }
                     ... on Project { coalition { code } } } }"""
        assert cost(query) == 1 + 2 + 10

    def test_mutations_cost_ten_more(self) -> None:
        query = 'mutation { datasetPublish(input: {id: "x", rowVersion: 1}) { dataset { id } userErrors { code } } }'
        # 10 + payload 1 + dataset 1 + userErrors, a plain list, at its estimate
        assert cost(query) == 10 + 1 + 1 + cost_model.LIST_ESTIMATE

    def test_repeated_fragments_are_costed_once_each(self) -> None:
        # given fragments that each spread the next twice (2^12 paths if walked naively)
        fragments = [
            f"fragment F{i} on Dataset {{ coalition {{ datasets(first: 1) {{ nodes {{ a: id ...F{i + 1} b: id ...F{i + 1} }} }} }} }}"
            for i in range(12)
        ]
        query = (
            "{ datasets(first: 1) { nodes { ...F0 } } } "
            + " ".join(fragments)
            + " fragment F12 on Dataset { id }"
        )
        # when / then: it finishes, and each level adds its objects
        assert cost(query) > 12


class TestOverCost:
    async def test_the_alias_attack_is_refused_before_any_sql(
        self, client: httpx.AsyncClient, statements: StatementCounter
    ) -> None:
        # when
        body = await post(client, ATTACK)
        # then
        assert statements.count == 0
        assert body.get("data") is None
        [error] = body["errors"]
        limit = Settings().query_cost_limit
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert error["extensions"]["cost"] == cost(ATTACK) > limit
        assert error["extensions"]["limit"] == limit
        assert str(limit) in error["message"]
        assert body["extensions"]["cost"]["requestedQueryCost"] == cost(ATTACK)
        assert body["extensions"]["cost"]["actualQueryCost"] is None

    async def test_one_alias_is_refused_too(
        self, client: httpx.AsyncClient, statements: StatementCounter
    ) -> None:
        body = await post(client, "{ " + NESTED + " }")
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert statements.count == 0

    async def test_bad_variables_are_refused_before_any_sql(
        self, client: httpx.AsyncClient, statements: StatementCounter
    ) -> None:
        query = "query($n: Int) { datasets(first: $n) { totalCount } }"
        body = await post(client, query, {"n": 2**40})
        assert statements.count == 0
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "$n" in body["errors"][0]["message"]

    def test_every_documented_example_is_under_the_default_limit(self) -> None:
        limit = Settings().query_cost_limit
        examples = [
            b for b in all_blocks() if b.info.startswith("graphql") and b.kind == "runnable"
        ]
        assert len(examples) >= 10
        over = {b.id: cost(b.body) for b in examples if cost(b.body) > limit}
        assert over == {}

    async def test_the_limit_is_a_setting(self, conn: AsyncConnection, signing_keys: Any) -> None:
        from lnob_api.app import create_app
        from lnob_api.db.request import ConnectionDatabase

        app = create_app(
            Settings(env="test", issuer="http://testserver", query_cost_limit=10),
            database=ConnectionDatabase(conn),
            keys=signing_keys,
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as small:
            refused = await post(small, "{ sdgGoals(first: 9) { nodes { code } } }")
            allowed = await post(small, "{ sdgGoals(first: 8) { nodes { code } } }")
        assert refused["errors"][0]["extensions"] | {"requestId": None} == {
            "code": "QUERY_TOO_COSTLY",
            "cost": 11,
            "limit": 10,
            "requestId": None,
        }
        assert "errors" not in allowed and len(allowed["data"]["sdgGoals"]["nodes"]) == 8


class TestExtensionsCost:
    async def test_actual_cost_counts_what_was_returned(
        self, conn: AsyncConnection, client: httpx.AsyncClient
    ) -> None:
        # given three datasets of a new coalition
        coalition = await f.create_coalition(conn)
        for _ in range(3):
            await f.create_dataset(conn, coalition)
        query = "query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 50) { nodes { id coalition { code } } } }"
        # when
        body = await post(client, query, {"c": [coalition["code"]]})
        # then
        assert len(body["data"]["datasets"]["nodes"]) == 3
        spent = body["extensions"]["cost"]
        assert spent["requestedQueryCost"] == 2 + 50 * 2
        assert spent["actualQueryCost"] == 2 + 3 * 2
        assert spent["maximumQueryCost"] == Settings().query_cost_limit
        throttle = spent["throttleStatus"]
        assert throttle["maximumAvailable"] == Settings().rate_limit
        assert 0 < throttle["currentlyAvailable"] <= Settings().rate_limit
        assert throttle["restoreRate"] == Settings().rate_limit / 60

    async def test_mutations_report_their_cost(self, client: httpx.AsyncClient) -> None:
        body = await post(
            client,
            'mutation { datasetPublish(input: {id: "RGF0YXNldDox", rowVersion: 1}) { userErrors { code } } }',
        )
        assert body["extensions"]["cost"]["requestedQueryCost"] == 10 + 1 + cost_model.LIST_ESTIMATE


class TestListCaps:
    @pytest.mark.parametrize(
        ("query", "variables", "field", "cap"),
        [
            ("query($v: [ID!]!) { nodes(ids: $v) { id } }", 101, "ids", 100),
            (
                "query($v: [String!]) { observations(filter: {meetsCriteria: $v}) { totalCount } }",
                101,
                "filter.meetsCriteria",
                100,
            ),
            (
                "query($v: [String!]) { observations(filter: {indicators: $v}) { totalCount } }",
                501,
                "filter.indicators",
                500,
            ),
            (
                "query($v: [String!]) { datasets(filter: {coalitions: $v}) { totalCount } }",
                101,
                "filter.coalitions",
                100,
            ),
            (
                'query($v: [String!]) { indicatorSeries(indicator: "1.1.1", areas: $v) { points { value } } }',
                501,
                "areas",
                500,
            ),
            (
                "query($v: [String!]) { qualityCriteria(coalitions: $v) { totalCount } }",
                101,
                "coalitions",
                100,
            ),
            (
                "mutation($v: [ID!]!) { notificationMarkRead(input: {ids: $v}) { userErrors { code } } }",
                101,
                "input.ids",
                100,
            ),
        ],
        ids=lambda value: value if isinstance(value, str) and "{" not in value else None,
    )
    async def test_a_list_over_its_cap_is_refused_before_any_sql(
        self,
        client: httpx.AsyncClient,
        statements: StatementCounter,
        query: str,
        variables: int,
        field: str,
        cap: int,
    ) -> None:
        # when
        body = await post(client, query, {"v": [f"X{i}" for i in range(variables)]})
        # then
        assert statements.count == 0
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["field"] == field
        assert error["extensions"]["reason"] == "TOO_LARGE"
        assert error["extensions"]["cap"] == cap
        assert f"{field}: at most {cap} values" in error["message"]

    async def test_a_literal_list_is_capped_too(
        self, client: httpx.AsyncClient, statements: StatementCounter
    ) -> None:
        codes = ", ".join(f'"Q{i}"' for i in range(101))
        body = await post(
            client, f"{{ datasets(filter: {{meetsCriteria: [{codes}]}}) {{ totalCount }} }}"
        )
        assert body["errors"][0]["extensions"]["field"] == "filter.meetsCriteria"
        assert statements.count == 0

    async def test_a_list_at_its_cap_runs(self, client: httpx.AsyncClient) -> None:
        body = await post(
            client,
            "query($v: [String!]) { observations(filter: {meetsCriteria: $v}) { totalCount } }",
            {"v": [f"Q{i}" for i in range(100)]},
        )
        assert "errors" not in body, body
        assert body["data"]["observations"]["totalCount"] == 0

    def test_every_list_argument_and_input_field_of_the_schema_has_a_cap(self) -> None:
        # given every list-valued argument of every field, and every list-valued input field
        checked = []
        for type_ in GRAPHQL.type_map.values():
            if type_.name.startswith("__") or is_input_object_type(type_):
                continue
            for field_name, field in getattr(type_, "fields", {}).items():
                for arg_name, arg in field.args.items():
                    root = f"{type_.name}.{field_name}.{arg_name}"
                    for path, key in _list_paths(arg.type, arg_name, root):
                        checked.append((arg, arg_name, root, path, key))
        assert len(checked) > 40
        for arg, arg_name, root, path, key in checked:
            cap = cost_caps.LIST_CAPS.get(key, cost_caps.DEFAULT_LIST_CAP)
            # when a value holds one item too many at that path
            value = _oversized(arg.type, path.split(".")[1:], cap + 1)
            # then it is refused, naming the path and the cap
            with pytest.raises(ListTooLong) as refused:
                cost_caps.check_lists(value, arg.type, root, arg_name)
            assert refused.value.extensions["field"] == path
            assert refused.value.extensions["cap"] == cap
            # and one item fewer passes
            cost_caps.check_lists(
                _oversized(arg.type, path.split(".")[1:], cap), arg.type, root, arg_name
            )


def _list_paths(type_: Any, path: str, key: str, depth: int = 0) -> list[tuple[str, str]]:
    """(argument path, cap key) of each list reachable in an argument's type."""
    nullable = get_nullable_type(type_)
    if is_list_type(nullable):
        return [(path, key)]
    named = get_named_type(nullable)
    if not is_input_object_type(named) or depth > 3:
        return []
    found = []
    for name, field in named.fields.items():
        found.extend(_list_paths(field.type, f"{path}.{name}", f"{named.name}.{name}", depth + 1))
    return found


def _oversized(type_: Any, inner_path: list[str], count: int) -> Any:
    """A value of ``type_`` whose list at ``inner_path`` holds ``count`` (empty) items."""
    nullable = get_nullable_type(type_)
    if not inner_path:
        item = get_named_type(nullable)
        return [{} if is_input_object_type(item) else "x" for _ in range(count)]
    name, rest = inner_path[0], inner_path[1:]
    return {name: _oversized(get_named_type(nullable).fields[name].type, rest, count)}
