"""Production mode: introspection and "Did you mean" hints for partnership admins only; in
development everyone keeps both. Real tokens through the ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, token_for

from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings

SCHEMA = "{ __schema { queryType { name } } }"
TYPE = '{ __type(name: "Dataset") { name } }'
TYPENAME = "{ __typename coalitions { totalCount } }"
TYPO_FIELD = "{ coalitions { totalCont } }"
TYPO_ARGUMENT = "{ coalitions(frist: 1) { totalCount } }"
TYPO_ENUM = "query ($o: DatasetOrder!) { datasets(orderBy: $o) { totalCount } }"

Caller = Callable[[str, dict[str, Any] | None], Any]


async def _app_client(
    conn: AsyncConnection, keys: KeyStore, env: str
) -> AsyncIterator[httpx.AsyncClient]:
    from lnob_api.app import create_app
    from lnob_api.db.request import ConnectionDatabase

    settings = Settings(env=env, issuer="http://testserver")  # type: ignore[arg-type]
    app = create_app(settings, database=ConnectionDatabase(conn), keys=keys)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def production(conn: AsyncConnection, signing_keys: KeyStore) -> Any:
    async for http in _app_client(conn, signing_keys, "production"):
        yield http


@pytest.fixture
async def development(conn: AsyncConnection, signing_keys: KeyStore) -> Any:
    async for http in _app_client(conn, signing_keys, "development"):
        yield http


@pytest.fixture
async def tokens(conn: AsyncConnection, signing_keys: KeyStore) -> dict[str, str | None]:
    """A bearer token for each kind of caller (None: anonymous)."""
    organisation = await f.create_organisation(conn, kind="STATISTICS_AGENCY")
    client = await f.create_client(conn, organisation)
    user = await f.create_user(conn)
    admin = await f.create_user(conn, is_partnership_admin=True)
    everything = ("data:read", "data:write", "coalition:admin", "partnership:admin")
    return {
        "anonymous": None,
        "agency": token_for(signing_keys, client=client, scopes=everything),
        "user": token_for(signing_keys, client=client, user=user, scopes=everything),
        # flagged, but this token was not given the scope
        "admin-without-scope": token_for(signing_keys, client=client, user=admin),
        "admin": token_for(signing_keys, client=client, user=admin, scopes=everything),
    }


async def _post(
    http: httpx.AsyncClient,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    headers = bearer(token) if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    body: dict[str, Any] = response.json()
    return body


def _messages(body: dict[str, Any]) -> list[str]:
    return [e["message"] for e in body.get("errors", [])]


HIDDEN_FROM = ["anonymous", "agency", "user", "admin-without-scope"]


class TestProduction:
    @pytest.mark.parametrize("who", HIDDEN_FROM)
    @pytest.mark.parametrize("query", [SCHEMA, TYPE])
    async def test_introspection_is_refused(
        self, production: httpx.AsyncClient, tokens: dict[str, str | None], who: str, query: str
    ) -> None:
        body = await _post(production, tokens[who], query)
        assert body.get("data") is None
        messages = _messages(body)
        assert messages and all("introspection has been disabled" in m for m in messages)

    @pytest.mark.parametrize("who", HIDDEN_FROM)
    async def test_typename_still_works(
        self, production: httpx.AsyncClient, tokens: dict[str, str | None], who: str
    ) -> None:
        body = await _post(production, tokens[who], TYPENAME)
        assert body["data"]["__typename"] == "Query", body

    @pytest.mark.parametrize("who", HIDDEN_FROM)
    @pytest.mark.parametrize(
        ("query", "variables", "still_said"),
        [
            (TYPO_FIELD, None, "Cannot query field 'totalCont'"),
            (TYPO_ARGUMENT, None, "Unknown argument 'frist'"),
            (TYPO_ENUM, {"o": "TITEL"}, "'TITEL'"),
        ],
    )
    async def test_suggestions_are_cut(
        self,
        production: httpx.AsyncClient,
        tokens: dict[str, str | None],
        who: str,
        query: str,
        variables: dict[str, Any] | None,
        still_said: str,
    ) -> None:
        body = await _post(production, tokens[who], query, variables)
        (message,) = _messages(body)
        assert still_said in message
        assert "Did you mean" not in message
        assert "totalCount" not in message and "'TITLE'" not in message

    async def test_a_partnership_admin_keeps_both(
        self, production: httpx.AsyncClient, tokens: dict[str, str | None]
    ) -> None:
        schema = await _post(production, tokens["admin"], SCHEMA)
        assert schema["data"]["__schema"]["queryType"]["name"] == "Query"
        typo = await _post(production, tokens["admin"], TYPO_FIELD)
        assert "Did you mean 'totalCount'?" in _messages(typo)[0]

    async def test_the_validation_cache_keeps_callers_apart(
        self, production: httpx.AsyncClient, tokens: dict[str, str | None]
    ) -> None:
        # the same documents, alternately by an admin and an anonymous caller
        for _ in range(2):
            admin = await _post(production, tokens["admin"], SCHEMA)
            anonymous = await _post(production, None, SCHEMA)
            assert admin["data"]["__schema"]["queryType"]["name"] == "Query"
            assert anonymous.get("data") is None
            admin_typo = await _post(production, tokens["admin"], TYPO_FIELD)
            anonymous_typo = await _post(production, None, TYPO_FIELD)
            assert "Did you mean" in _messages(admin_typo)[0]
            assert "Did you mean" not in _messages(anonymous_typo)[0]


class TestDevelopment:
    async def test_everyone_keeps_introspection_and_suggestions(
        self, development: httpx.AsyncClient
    ) -> None:
        schema = await _post(development, None, SCHEMA)
        assert schema["data"]["__schema"]["queryType"]["name"] == "Query"
        typed = await _post(development, None, TYPE)
        assert typed["data"]["__type"]["name"] == "Dataset"
        typo = await _post(development, None, TYPO_FIELD)
        assert "Did you mean 'totalCount'?" in _messages(typo)[0]
        argument = await _post(development, None, TYPO_ARGUMENT)
        assert "Did you mean 'first'" in _messages(argument)[0]
        enum = await _post(development, None, TYPO_ENUM, {"o": "TITEL"})
        assert "Did you mean the enum value 'TITLE'?" in _messages(enum)[0]
