"""Plans shared by principals of one shape (graphql.compiled.principals): the same SQL, each
request's own ids as parameters, and never a plan shared by principals whose predicates differ."""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from tests.compiled.corpus import CORPUS
from tests.compiled.harness import pair
from tests.compiled.test_differential import _headers, same, world

from graphql import parse
from lnob_api.auth.keys import KeyStore
from lnob_api.auth.principal import Principal
from lnob_api.auth.resolver import principal_from_token
from lnob_api.config import Settings
from lnob_api.db.request import ConnectionDatabase, RequestDb
from lnob_api.graphql.compiled import _DIALECT
from lnob_api.graphql.compiled.build import Compiler, Unsupported
from lnob_api.graphql.compiled.principals import stand_in
from lnob_api.graphql.cost_model import CostRules, prepare
from lnob_api.graphql.schema import schema

DATASETS = """query($c: [String!]) { datasets(filter: {coalitions: $c}, first: 50) {
  totalCount nodes { slug observations(first: 5) { nodes { value suppressed } } } } }"""


async def _principals(conn: AsyncConnection, w: dict[str, Any], keys: KeyStore) -> dict[str, Any]:
    settings = Settings(env="test", issuer="http://testserver")
    db = RequestDb(ConnectionDatabase(conn))
    try:
        return {
            name: await principal_from_token(db, token, keys=keys, settings=settings, oidc=None)
            if token
            else Principal()
            for name, token in w["tokens"].items()
        }
    finally:
        await db.close()


def _sql(principal: Principal, query: str, variables: dict[str, Any]) -> str | None:
    """The statement built for ``principal`` itself (no stand-ins), or None if not compiled."""
    op = prepare(
        schema._schema, parse(query), None, variables, CostRules(default_page=20, max_page=100)
    )
    assert op is not None and not isinstance(op, list)
    compiler = Compiler(schema=schema, op=op, principal=principal, language="en", max_page=100)
    try:
        statement = compiler.statement()
    except Unsupported:
        return None
    return str(statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True}))


async def test_one_shape_one_plan_and_each_principal_its_own_rows(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given: two clients of the same agency, one with a grant to coalition A's data, one
    # without (the same kinds of ids: one organisation, one client)
    w = await world(conn, signing_keys)
    variables = {"c": [w["a"]["code"]]}
    principals = await _principals(conn, w, signing_keys)
    granted, without = principals["client_granted_a"], principals["client_without_grant"]
    assert granted.client_pk != without.client_pk
    assert stand_in(granted).key == stand_in(without).key
    async with pair(conn, signing_keys) as both:
        answers = []
        for name in ("client_granted_a", "client_without_grant", "client_granted_a"):
            # when
            one, two, compiled = await both.both(DATASETS, variables, _headers(w, name))
            # then: what Strawberry answers for each
            assert compiled and same(one, two), (name, one, two)
            answers.append(json.loads(one)["data"]["datasets"])
        # one plan served both
        assert len(both.reads.plans) == 1
    assert answers[0] == answers[2]
    assert answers[0]["totalCount"] > answers[1]["totalCount"]


async def test_principals_of_other_shapes_get_plans_of_their_own(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given: anonymous, a viewer and an editor of coalition A (an editor also reads drafts)
    w = await world(conn, signing_keys)
    variables = {"c": [w["a"]["code"]]}
    async with pair(conn, signing_keys) as both:
        for name in ("anonymous", "viewer_a", "editor_a", "viewer_a", "anonymous"):
            # when
            one, two, compiled = await both.both(DATASETS, variables, _headers(w, name))
            # then
            assert compiled and same(one, two), (name, one, two)
        assert len(both.reads.plans) == 3


async def test_principals_share_a_key_only_when_their_statements_are_the_same(
    conn: AsyncConnection, signing_keys: KeyStore
) -> None:
    # given: every principal of the leak matrix, every document of the corpus
    w = await world(conn, signing_keys)
    principals = await _principals(conn, w, signing_keys)
    shared = differ = 0
    for _name, (query, variables) in CORPUS.items():
        statements = {n: _sql(p, query, variables(w)) for n, p in principals.items()}
        for one, two in itertools.combinations(principals, 2):
            # when
            same_key = stand_in(principals[one]).key == stand_in(principals[two]).key
            same_sql = statements[one] == statements[two]
            # then: one key, one statement (up to the ids, which are parameters)
            assert same_sql or not same_key, (one, two, query)
            shared += same_key and statements[one] is not None
            differ += not same_sql
    # both cases occur: principals sharing plans, and principals whose statements differ
    assert shared and differ
