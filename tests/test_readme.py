"""The README stays true: its GraphQL examples run, and its configuration table is complete.

Blocks fenced as ```graphql run anonymously. Blocks fenced as ```graphql (token) need a
signed-in caller: they run with a real access token of a Kenya coalition admin who is also a
partnership admin (every scope), over the reference data plus the few records they name
(the organisation ``knbs`` and the local area ``KE-30-KOROGOCHO``). Their ids come from the
README's walkthrough on the demo database, so a mutation on such an id may answer with a
``NOT_FOUND`` user error, and with no other.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f
from tests.helpers import bearer, gql, token_for

from lnob_api import config, models
from lnob_api.auth.keys import KeyStore
from lnob_api.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG_SOURCE = Path(config.__file__).read_text(encoding="utf-8")

GRAPHQL_BLOCK = re.compile(r"^```graphql( \(token\))?\n(.*?)^```", re.MULTILINE | re.DOTALL)
ANY_GRAPHQL_FENCE = re.compile(r"^\s*```graphql.*$", re.MULTILINE)
VARIABLE_NAME = re.compile(r"^(?:DATABASE_URL|LNOB_[A-Z0-9_]+)$")
ALL_SCOPES = ("data:read", "data:write", "coalition:admin", "partnership:admin")
# A mutation on an id of the README's demo database may find nothing here; nothing else.
TOLERATED_USER_ERRORS = {"NOT_FOUND"}


def graphql_examples(*, token: bool) -> list[str]:
    return [body.strip() for marker, body in GRAPHQL_BLOCK.findall(README) if bool(marker) is token]


def example_id(query: str) -> str:
    found = re.search(r"\b(?:query|mutation)\s+(\w+)", query)
    return found.group(1) if found else query.split("{")[0].strip() or "anonymous"


def section(title: str) -> str:
    """The README text under the ``## title`` heading, up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def configuration_table_variables() -> set[str]:
    """The names in the first column of the Configuration section's table."""
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section("Configuration"), re.M))


class RecordingEnviron(Mapping[str, str]):
    """An empty environment that remembers every name looked up in it."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.names.add(name)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def variables_read_by_settings() -> set[str]:
    environ = RecordingEnviron()
    Settings.from_env(environ)
    return environ.names


def variables_named_in_config() -> set[str]:
    """Every environment variable name written as a string literal in config.py."""
    return {
        node.value
        for node in ast.walk(ast.parse(CONFIG_SOURCE))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and VARIABLE_NAME.match(node.value)
    }


def user_errors(data: Any) -> Iterator[dict[str, Any]]:
    """Every userErrors entry anywhere in a response's data."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "userErrors" and isinstance(value, list):
                yield from value
            else:
                yield from user_errors(value)
    elif isinstance(data, list):
        for item in data:
            yield from user_errors(item)


async def _local_area(conn: AsyncConnection, coalition: Any, parent_code: str, code: str) -> None:
    table = models.Area.__table__
    parent = (
        (await conn.execute(sa.select(table).where(table.c.code == parent_code))).mappings().one()
    )
    await conn.execute(
        sa.insert(table).values(
            code=code,
            name="Korogocho",
            level="LOCAL",
            type="Ward",
            country_code=parent["country_code"],
            parent_code=parent_code,
            ancestors=[*parent["ancestors"], parent_code],
            coalition_id=coalition["id"],
        )
    )


@pytest.fixture
async def admin_token(conn: AsyncConnection, signing_keys: KeyStore) -> str:
    """A Kenya coalition admin and partnership admin, with every scope, and the records the
    token examples name."""
    coalitions = models.Coalition.__table__
    kenya = (
        (await conn.execute(sa.select(coalitions).where(coalitions.c.code == "KE")))
        .mappings()
        .one()
    )
    forum = await f.create_organisation(conn, kind="NATIONAL_NGO", country_code="KE")
    await f.add_member(conn, kenya, forum, "LEAD")
    await f.create_organisation(
        conn, slug="knbs", name="Kenya National Bureau of Statistics", kind="STATISTICS_AGENCY"
    )
    await _local_area(conn, kenya, "KE-30", "KE-30-KOROGOCHO")
    frontend = await f.create_client(conn, forum)
    admin = await f.create_user(conn, email="wanjiru@example.org", is_partnership_admin=True)
    await f.join_organisation(conn, admin, forum)
    await f.give_role(conn, admin, kenya, "ADMIN")
    return token_for(signing_keys, client=frontend, user=admin, scopes=ALL_SCOPES)


class TestGraphqlExamples:
    def test_the_readme_has_examples(self) -> None:
        assert len(graphql_examples(token=False)) >= 3
        assert len(graphql_examples(token=True)) >= 3

    def test_every_graphql_fence_is_one_of_the_two_kinds(self) -> None:
        # an unknown info string (or an indented block) would be left out of the tests
        fences = [fence.strip() for fence in ANY_GRAPHQL_FENCE.findall(README)]
        assert set(fences) <= {"```graphql", "```graphql (token)"}, fences
        assert len(fences) == len(GRAPHQL_BLOCK.findall(README))

    @pytest.mark.parametrize("query", graphql_examples(token=False), ids=example_id)
    async def test_example_runs_without_errors(self, client: httpx.AsyncClient, query: str) -> None:
        # given the reference data (no demo set: lists may come back empty), no token
        # when
        body = await gql(client, query)
        # then
        assert "errors" not in body, body["errors"]
        assert body["data"] is not None

    @pytest.mark.parametrize("query", graphql_examples(token=True), ids=example_id)
    async def test_token_example_runs_without_errors(
        self, client: httpx.AsyncClient, admin_token: str, query: str
    ) -> None:
        # given a coalition and partnership admin's token
        # when
        body = await gql(client, query, headers=bearer(admin_token))
        # then no GraphQL error (FORBIDDEN, a bad argument...), and user errors only for the
        # demo database's ids
        assert "errors" not in body, body["errors"]
        assert body["data"] is not None
        codes = {error["code"] for error in user_errors(body["data"])}
        assert codes <= TOLERATED_USER_ERRORS, body["data"]


class TestConfigurationTable:
    def test_every_variable_settings_reads_is_documented(self) -> None:
        read = variables_read_by_settings()
        assert {"DATABASE_URL", "LNOB_DATA_DIR", "LNOB_PORT"} <= read
        assert read - configuration_table_variables() == set()

    def test_every_variable_named_in_config_is_documented(self) -> None:
        named = variables_named_in_config()
        assert named - configuration_table_variables() == set()

    def test_the_table_names_no_unknown_variable(self) -> None:
        known = variables_read_by_settings() | variables_named_in_config()
        assert configuration_table_variables() - known == set()
