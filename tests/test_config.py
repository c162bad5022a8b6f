"""Settings come from environment variables; bad values name the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lnob_api.cli import main
from lnob_api.config import ConfigError, Settings, find_data_dir

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = Path("/usr/lib/python3/site-packages/lnob_api/config.py")  # an installed copy


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


class TestDataFolder:
    """The data folder is found the same way from anywhere (config.find_data_dir)."""

    @staticmethod
    def _checkout(folder: Path) -> Path:
        folder.mkdir(parents=True)
        (folder / "pyproject.toml").write_text('[project]\nname = "lnob-api"\n')
        return folder

    def test_lnob_data_dir_wins_and_is_made_absolute(self, tmp_path: Path) -> None:
        found = find_data_dir({"LNOB_DATA_DIR": "here"}, cwd=tmp_path, code=OUTSIDE)
        assert found == (tmp_path / "here", "LNOB_DATA_DIR")

    def test_from_any_folder_of_a_checkout_its_lnob(self, tmp_path: Path) -> None:
        checkout = self._checkout(tmp_path / "repo")
        deep = checkout / "data" / "round2"
        deep.mkdir(parents=True)
        (deep / ".lnob").mkdir()  # a stray folder from an older version is not taken
        for cwd in (checkout, deep):
            folder, origin = find_data_dir({}, cwd=cwd, code=OUTSIDE)
            assert folder == checkout / ".lnob" and str(checkout) in origin

    def test_from_elsewhere_the_checkout_the_code_runs_from(self, tmp_path: Path) -> None:
        checkout = self._checkout(tmp_path / "repo")
        elsewhere = tmp_path / "downloads"
        elsewhere.mkdir()
        code = checkout / "src" / "lnob_api" / "config.py"
        folder, origin = find_data_dir({}, cwd=elsewhere, code=code)
        assert folder == checkout / ".lnob" and "runs from" in origin

    def test_an_installed_package_outside_a_checkout_uses_a_data_folder_of_its_own(
        self, tmp_path: Path
    ) -> None:
        folder, origin = find_data_dir({}, cwd=tmp_path, code=OUTSIDE)
        expected = Path("/var/lib/lnob-api") if os.geteuid() == 0 else None
        assert folder.name == "lnob-api" and folder.is_absolute()
        assert expected is None or folder == expected
        assert "data folder" in origin

    def test_the_command_finds_this_checkout_from_another_folder(self, tmp_path: Path) -> None:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from lnob_api.config import Settings as S; print(S.from_env().data_dir)",
            ],
            cwd=tmp_path,
            env={k: v for k, v in os.environ.items() if k != "LNOB_DATA_DIR"},
            capture_output=True,
            text=True,
            check=True,
        )
        assert Path(done.stdout.strip()) == ROOT / ".lnob"
        assert not (tmp_path / ".lnob").exists()
