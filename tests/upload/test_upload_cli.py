"""``lnob-api upload``. The operator's story runs the real console script in subprocesses on a
fresh data folder with its own embedded PostgreSQL (few, combined: each process costs seconds).
Refusals and output formats run ``main()`` in this process against a scratch database of their
own on the test server, so what they commit never reaches other tests."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lnob_api.cli import main
from lnob_api.db import create_engine, migrate
from lnob_api.graphql.ids import to_global_id
from lnob_api.seed import seed

LNOB_API = str(Path(sys.executable).with_name("lnob-api"))
KOBO_CSV = (
    "survey/indicator;survey/area;survey/period;survey/value;_id\n"
    "1.1.1;KE-30;2023;10;1\n1.1.1;KE-01;2023;11;2\n10.2.1;KE-30;2023;12;3\n"
)
EDITOR, VIEWER = "ana@example.org", "vic@example.org"


async def _sql(url: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(sa.text(sql), params or {})
            return [dict(r) for r in result.mappings()] if result.returns_rows else []
    finally:
        await engine.dispose()


async def _editor_viewer_and_draft(url: str, slug: str) -> int:
    """Users with KE roles and a draft dataset in KE; returns the dataset id."""
    for email, role in ((EDITOR, "EDITOR"), (VIEWER, "VIEWER")):
        await _sql(
            url,
            "WITH u AS (INSERT INTO users (email, name) VALUES (:e, :e) "
            "ON CONFLICT DO NOTHING RETURNING id) "
            "INSERT INTO coalition_user_roles (coalition_id, user_id, role) "
            "SELECT c.id, u.id, :r FROM coalitions c, u WHERE c.code = 'KE'",
            {"e": email, "r": role},
        )
    (dataset,) = await _sql(
        url,
        "INSERT INTO datasets (coalition_id, slug, title, status) SELECT id, :s, 'Survey', "
        "'DRAFT' FROM coalitions WHERE code = 'KE' RETURNING id",
        {"s": slug},
    )
    return int(dataset["id"])


# -- the operator's story, in subprocesses ------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    return env | {"LNOB_DATA_DIR": str(data_dir), "LNOB_LOG_LEVEL": "warning"}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LNOB_API, *args], env=env, capture_output=True, text=True, timeout=300)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _url(env: dict[str, str]) -> str:
    return _ok(_run(env, "db")).strip().replace("postgresql://", "postgresql+asyncpg://")


class TestOperatorStory:
    def test_upload_reupload_replace(self, tmp_path: Path) -> None:
        env = _env(tmp_path / "data")
        try:
            # given a fresh folder, seeded (and so migrated), with users and a draft in KE; its
            # server kept running (`lnob-api db`) for every command after, as an operator would
            url = _url(env)
            _ok(_run(env, "seed", "--no-demo"))
            dataset_id = asyncio.run(_editor_viewer_and_draft(url, "ke-survey"))
            good = tmp_path / "kobo.csv"
            good.write_text(KOBO_CSV, encoding="utf-8-sig")

            # when the editor uploads a Kobo export, then every row is written
            out = _ok(_run(env, "upload", "ke-survey", str(good), "--as", EDITOR))
            assert out.startswith("uploaded kobo.csv: 3 rows read, 3 observations written")
            # and the same file again changes nothing
            again = _ok(_run(env, "upload", "ke-survey", str(good), "--as", EDITOR.upper()))
            assert again == "kobo.csv was already uploaded into this version: nothing changed\n"

            # replace, by global id, with a mapping from a file
            other = tmp_path / "scores.csv"
            other.write_text("Ward,Year,Score\nKE-30,2024,71\n", encoding="utf-8")
            mapping = tmp_path / "mapping.json"
            mapping.write_text(
                '{"area": "Ward", "period": "Year", "value": "Score", "indicatorCode": "1.2.1"}'
            )
            out = _ok(
                _run(
                    env,
                    *("upload", to_global_id("Dataset", dataset_id), str(other)),
                    *("--mapping", str(mapping), "--replace", "--as", EDITOR),
                )
            )
            assert "1 observations written, after deleting 3 observations" in out

            rows = asyncio.run(
                _sql(
                    url,
                    "SELECT i.code, o.area_code, o.period, o.value FROM observations o "
                    "JOIN indicators i ON i.id = o.indicator_id WHERE o.dataset_id = :d",
                    {"d": dataset_id},
                )
            )
            assert rows == [{"code": "1.2.1", "area_code": "KE-30", "period": "2024", "value": 71}]
        finally:
            subprocess.run(
                [LNOB_API, "db", "--stop"], env=env, capture_output=True, timeout=120, check=False
            )


# -- refusals and output, in this process ----------------------------------------------------


@pytest.fixture(scope="module")
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    """A migrated, seeded scratch database (reference data only), committed."""
    name = f"lnob_upload_{uuid.uuid4().hex[:8]}"
    server = create_engine(database_url, pool_size=1)
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
    await engine.dispose()
    yield url
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await server.dispose()


class Cli:
    """Runs ``lnob-api`` in this process on the scratch database; captures what it prints."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        self.url, self.capsys, self.tmp_path = url, capsys, tmp_path
        self.slug = f"survey-{uuid.uuid4().hex[:8]}"
        self.dataset_id = asyncio.run(_editor_viewer_and_draft(url, self.slug))

    def file(self, content: str, name: str = "f.csv") -> str:
        path = self.tmp_path / name
        path.write_text(content, encoding="utf-8")
        return str(path)

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def fails(self, *args: str, message: str) -> str:
        code, out, err = self(*args)
        assert code == 1, (out, err)
        assert err.startswith("lnob-api: ") and err.count("\n") == 1, err
        assert message in err, err
        return out

    def observations(self) -> int:
        (row,) = asyncio.run(
            _sql(
                self.url,
                "SELECT count(*) AS n FROM observations WHERE dataset_id = :d",
                {"d": self.dataset_id},
            )
        )
        return int(row["n"])


@pytest.fixture
def cli(
    scratch_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cli]:
    monkeypatch.setenv("DATABASE_URL", scratch_url)
    monkeypatch.setenv("LNOB_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    yield Cli(scratch_url, capsys, tmp_path)


class TestRefusals:
    def test_a_bad_file_prints_20_problems_and_the_count(self, cli: Cli) -> None:
        bad = cli.file(
            "indicator,area,period,value\n"
            + "".join(f"1.1.1,KE-30,{1990 + i},x\n" for i in range(25))
            + "9.9.9,KE-30,2024,1\n",
            "bad.csv",
        )
        printed = cli.fails(
            "upload",
            cli.slug,
            bad,
            "--as",
            EDITOR,
            message="bad.csv refused: 26 problem(s); nothing was written",
        )
        lines = printed.splitlines()
        assert lines[0] == "26 rows read; 26 problem(s):"
        assert lines[1].startswith("  row 2 [value] INVALID_VALUE: 'x' is not a number")
        assert len(lines) == 22 and lines[-1] == "  ... and 6 more"
        assert cli.observations() == 0

    def test_a_viewer_may_not_upload(self, cli: Cli) -> None:
        good = cli.file(KOBO_CSV)
        # acting as a viewer, who does not see drafts: the draft is not found
        cli.fails("upload", cli.slug, good, "--as", VIEWER, message="no such dataset")
        cli.fails("upload", cli.slug, good, "--as", "nobody@example.org", message="no user")
        assert cli.observations() == 0

    def test_only_drafts(self, cli: Cli) -> None:
        asyncio.run(
            _sql(
                cli.url,
                "UPDATE datasets SET status = 'PUBLISHED', published_at = now() WHERE id = :d",
                {"d": cli.dataset_id},
            )
        )
        good = cli.file(KOBO_CSV)
        cli.fails("upload", cli.slug, good, "--as", EDITOR, message="has no draft version")
        cli.fails(
            *("upload", to_global_id("Dataset", cli.dataset_id), good, "--as", EDITOR),
            message="only a draft accepts uploads",
        )
        cli.fails("upload", "no-such-slug", good, "--as", EDITOR, message="no dataset")

    @pytest.mark.parametrize(
        ("mapping", "message"),
        [
            ("{not json", "--mapping: invalid JSON"),
            ('{"colour": "x"}', "unknown mapping key 'colour'"),
            ("missing.json", "neither JSON nor a file"),
        ],
    )
    def test_bad_mappings(self, cli: Cli, mapping: str, message: str) -> None:
        good = cli.file(KOBO_CSV)
        cli.fails("upload", cli.slug, good, "--mapping", mapping, "--as", EDITOR, message=message)
