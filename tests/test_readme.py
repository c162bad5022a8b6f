"""The README stays true: its GraphQL examples run, and its configuration table is complete."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from tests.helpers import gql

from lnob_api import config
from lnob_api.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG_SOURCE = Path(config.__file__).read_text(encoding="utf-8")

GRAPHQL_BLOCK = re.compile(r"^```graphql\n(.*?)^```", re.MULTILINE | re.DOTALL)
VARIABLE_NAME = re.compile(r"^(?:DATABASE_URL|LNOB_[A-Z0-9_]+)$")


def graphql_examples() -> list[str]:
    return [block.strip() for block in GRAPHQL_BLOCK.findall(README)]


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


class TestGraphqlExamples:
    def test_the_readme_has_examples(self) -> None:
        assert len(graphql_examples()) >= 3

    @pytest.mark.parametrize(
        "query", graphql_examples(), ids=lambda q: q.split("{")[0].strip() or "anonymous"
    )
    async def test_example_runs_without_errors(self, client: httpx.AsyncClient, query: str) -> None:
        # given the reference data (no demo set: lists may come back empty)
        # when
        body = await gql(client, query)
        # then
        assert "errors" not in body, body["errors"]
        assert body["data"] is not None


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
