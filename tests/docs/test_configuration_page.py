"""docs/configuration.md stays complete: its table names every variable the settings read."""

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
