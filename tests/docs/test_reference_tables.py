"""The reference tables stay complete: docs/configuration.md names every variable the settings
read, docs/cli.md every command."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from lnob_api import config
from lnob_api.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
CONFIG_SOURCE = Path(config.__file__).read_text(encoding="utf-8")
VARIABLE_NAME = re.compile(r"^(?:DATABASE_URL|LNOB_[A-Z0-9_]+)$")


def configuration_table_variables() -> set[str]:
    """The names in the first column of the configuration page's table."""
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", CONFIGURATION, re.M))


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


def cli_commands() -> set[str]:
    """Every ``lnob-api`` command and subcommand (``serve``, ``users create``...)."""
    import argparse

    from lnob_api.cli import build_parser

    def choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return dict(action.choices)
        return {}

    found = set()
    for name, sub in choices(build_parser()).items():
        nested = choices(sub)
        found |= {f"{name} {n}" for n in nested} if nested else {name}
    return found


class TestCliPage:
    def test_the_table_names_every_command(self) -> None:
        table = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
        rows = re.findall(r"^\| `([^`]+)`(?: / `([^`]+)`)? \|", table, re.M)
        named = {" ".join(c.split()[:2]) for row in rows for c in row if c}
        named |= {c.split()[0] for row in rows for c in row if c}
        assert "serve" in named
        assert cli_commands() - named == set()


class TestLayoutPage:
    def test_the_layout_names_every_package_and_module(self) -> None:
        page = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
        layout = page.split("## Project layout", 1)[1].split("```", 2)[1]
        source = ROOT / "src" / "lnob_api"
        names = {f"{p.name}/" for p in source.iterdir() if (p / "__init__.py").exists()}
        names |= {p.name for p in source.glob("*.py") if p.name != "__init__.py"}
        listed = set(re.findall(r"\b([a-z_]+(?:/|\.py))(?=\s)", layout))
        assert "app.py" in listed
        assert names - listed == set()
