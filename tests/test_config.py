"""Settings come from environment variables; bad values name the variable."""

from __future__ import annotations

import pytest

from lnob_api.cli import main
from lnob_api.config import ConfigError, Settings


class TestSettings:
    def test_defaults_use_the_embedded_database(self) -> None:
        settings = Settings.from_env({})
        assert settings.embedded
        assert settings.data_dir.is_absolute() and settings.data_dir.name in (".lnob", "lnob-api")
        assert settings.port == 8000

    def test_database_url_is_normalised_to_asyncpg(self) -> None:
        settings = Settings.from_env({"DATABASE_URL": "postgresql://u@h/db"})
        assert settings.database_url == "postgresql+asyncpg://u@h/db"
        assert not settings.embedded

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("LNOB_PORT", "eighty"),
            ("LNOB_PORT", "70000"),
            ("LNOB_ENV", "staging"),
            ("DATABASE_URL", "mysql://x"),
            ("LNOB_GRAPHIQL", "maybe"),
        ],
    )
    def test_bad_value_names_the_variable(self, name: str, value: str) -> None:
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({name: value})
        assert caught.value.variable == name
        assert name in str(caught.value)

    def test_cli_prints_one_line_for_a_bad_value(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("LNOB_PORT", "eighty")
        code = main(["db"])
        err = capsys.readouterr().err
        assert code == 2
        assert err.strip().count("\n") == 0
        assert "LNOB_PORT" in err and "Traceback" not in err
