"""Start-up errors: one line ``lnob-api: ...`` and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cluster import Cluster, free_port, migrated_cluster

LNOB_API = str(Path(sys.executable).with_name("lnob-api"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from migrated_cluster()


def _run(url: str, *args: str, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env |= {"DATABASE_URL": url, "LNOB_DATA_DIR": str(folder)}
    return subprocess.run([LNOB_API, *args], env=env, capture_output=True, text=True, timeout=120)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lnob-api: ")
    assert "Traceback" not in result.stderr
    return lines[0]


class TestStartupErrors:
    @pytest.mark.parametrize("command", [("serve", "--no-seed"), ("migrate",), ("seed",)])
    def test_each_database_problem_is_one_line(
        self, cluster: Cluster, tmp_path: Path, command: tuple[str, ...]
    ) -> None:
        # given a dead server, a wrong password and an unknown database
        dead = f"postgresql://postgres:x@127.0.0.1:{free_port()}/lnob"
        wrong = cluster.url("lnob", password="not-the-password")
        unknown = cluster.url("nowhere")
        # when the command starts on each, then each says what is wrong in one line
        assert "cannot reach the database lnob" in _one_line(_run(dead, *command, folder=tmp_path))
        assert "wrong password" in _one_line(_run(wrong, *command, folder=tmp_path))
        line = _one_line(_run(unknown, *command, folder=tmp_path))
        assert "does not exist" in line and "createdb nowhere" in line

    def test_a_database_at_a_newer_migration_is_refused_even_with_no_migrate(
        self, cluster: Cluster, tmp_path: Path
    ) -> None:
        # given a database migrated by newer code
        cluster.psql("CREATE DATABASE ahead")
        cluster.psql(
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
            "INSERT INTO alembic_version VALUES ('9999_from_the_future')",
            "ahead",
        )
        url = cluster.url("ahead")
        # when it is served (with or without migrating) or migrated
        for command in (
            ("serve", "--no-migrate", "--no-seed"),
            ("serve", "--no-seed"),
            ("migrate",),
        ):
            line = _one_line(
                _run(url, *command, "--port", str(free_port()), folder=tmp_path)
                if command[0] == "serve"
                else _run(url, *command, folder=tmp_path)
            )
            # then it is refused, saying so
            assert "9999_from_the_future" in line and "newer" in line
