"""The admin commands of ``lnob-api``: users, clients, organisations, grants, keys.

Two kinds of tests. The story of a newcomer runs the real console script in subprocesses on a
fresh data folder with its own embedded PostgreSQL (few, combined: each process costs about a
second). The error cases and output formats run ``main()`` in this process against a scratch
database of their own on the test server, so what they commit never reaches other tests.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from tests import factories

from lnob_api.auth.secrets import hash_secret, verify_password
from lnob_api.cli import build_parser, main
from lnob_api.cli_admin import COMMANDS
from lnob_api.cli_admin import users as users_command
from lnob_api.cli_admin.common import CommandError
from lnob_api.db import create_engine, embedded, migrate
from lnob_api.seed import seed

LNOB_API = str(Path(sys.executable).with_name("lnob-api"))
PASSWORD = "correct horse battery staple"


# -- subprocess helpers -------------------------------------------------------------------------


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    env.pop("LNOB_SIGNING_KEYS", None)
    return env | {"LNOB_DATA_DIR": str(data_dir), "LNOB_LOG_LEVEL": "warning"}


def _run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LNOB_API, *args], env=env, input=stdin, capture_output=True, text=True, timeout=180
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _fails(result: subprocess.CompletedProcess[str], text: str) -> None:
    """Exit status 1 and one line ``lnob-api: ...`` on stderr, never a traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("lnob-api: ") and result.stderr.count("\n") == 1, result.stderr
    assert text in result.stderr


async def _fetch(url: str, sql: str) -> list[dict[str, Any]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return [dict(row) for row in (await conn.execute(sa.text(sql))).mappings()]
    finally:
        await engine.dispose()


class TestNewcomerStory:
    def test_bootstrap_an_empty_data_folder(self, tmp_path: Path) -> None:
        env = _env(tmp_path / "data")
        try:
            # given a fresh folder: a command that needs the database says there is none and
            # creates no cluster; then it is migrated
            missing = _run(env, "users", "list")
            assert missing.returncode == 2, missing.stderr
            assert missing.stderr.startswith("lnob-api: no embedded database in ")
            assert not (tmp_path / "data" / "pg").exists()
            _ok(_run(env, "migrate"))
            _ok(_run(env, "seed", "--no-demo"))  # the seven coalitions and the country codes

            # organisations: an admin command starts the embedded server itself, and its exit
            # stops it
            created = _ok(
                _run(
                    env,
                    *("organisations", "create", "--slug", "knbs", "--name", "KNBS"),
                    *("--kind", "STATISTICS_AGENCY", "--country", "KE"),
                )
            )
            assert created.startswith("created organisation knbs")
            assert embedded.running_pid(tmp_path / "data") is None

            # from here on one server stays up (`lnob-api db`), as a newcomer working through
            # the commands would keep it, and every command joins it: a start and a stop of
            # PostgreSQL per command would be most of this test's time
            url = _ok(_run(env, "db")).strip().replace("postgresql://", "postgresql+asyncpg://")
            server = embedded.running_pid(tmp_path / "data")
            assert server is not None

            # users: the password comes from stdin; only its argon2 hash is kept
            created = _ok(
                _run(
                    env,
                    *("users", "create", "--email", "ana@example.org", "--name", "Ana"),
                    *("--organisation", "knbs", "--coalition", "KE:EDITOR"),
                    stdin=PASSWORD + "\n",
                )
            )
            assert created.startswith("created user ")
            _fails(
                _run(
                    env,
                    *("users", "create", "--email", "bo@example.org", "--name", "Bo"),
                    stdin="too-short\n",
                ),
                "at least 10 characters",
            )

            # clients: the secret is printed once, as JSON
            machine = json.loads(
                _ok(
                    _run(
                        env,
                        *("clients", "create", "--name", "KNBS sync", "--organisation", "knbs"),
                        *("--scopes", "data:read", "--json"),
                    )
                )
            )
            assert set(machine) == {"client_id", "client_secret"} and machine["client_secret"]
            frontend = json.loads(
                _ok(
                    _run(
                        env,
                        *("clients", "create", "--name", "Web", "--organisation", "knbs"),
                        *("--scopes", "data:read data:write", "--public", "--json"),
                        *("--redirect-uri", "https://app.example.org/callback"),
                    )
                )
            )
            assert frontend["client_secret"] is None
            listed = _ok(_run(env, "clients", "list"))
            assert machine["client_id"] in listed and frontend["client_id"] in listed
            assert machine["client_secret"] not in listed

            # grants: give, see, revoke
            created = _ok(
                _run(
                    env,
                    *("grants", "create", "--coalition", "KE", "--client", machine["client_id"]),
                    *("--expires", "2099-12-31", "--note", "SDG review"),
                )
            )
            assert created.startswith("created grant ")
            (grant,) = json.loads(_ok(_run(env, "grants", "list", "--coalition", "KE", "--json")))
            assert (grant["status"], grant["client_id"]) == ("active", machine["client_id"])
            assert grant["expires_at"] == "2100-01-01T00:00:00Z"
            _ok(_run(env, "grants", "revoke", str(grant["id"])))
            assert "revoked" in _ok(_run(env, "grants", "list"))

            # revoking the client
            revoked = _ok(_run(env, "clients", "revoke", machine["client_id"]))
            assert revoked.startswith(f"revoked client {machine['client_id']}")

            # keys: the first call creates a key, the second rotates it
            _ok(_run(env, "keys", "rotate"))
            rotated = _ok(_run(env, "keys", "rotate", "--keep-old-for", "120"))
            assert rotated.startswith("new signing key ")
            jwks = json.loads((tmp_path / "data" / "keys" / "jwks.json").read_text())
            old, new = sorted(jwks["keys"], key=lambda k: k["created_at"])
            assert new["retire_at"] is None
            assert old["retire_at"] == pytest.approx(time.time() + 120, abs=30)
            listing = _ok(_run(env, "keys", "list"))
            assert old["jwk"]["kid"] in listing and new["jwk"]["kid"] in listing
            assert old["jwk"]["d"] not in listing

            # the commands joined the one server (none started a server of its own)
            assert embedded.running_pid(tmp_path / "data") == server

            # what was stored: hashes, never the password or the secret
            (user,) = asyncio.run(
                _fetch(url, "SELECT password_hash FROM users WHERE email = 'ana@example.org'")
            )
            assert user["password_hash"].startswith("$argon2id$")
            assert verify_password(user["password_hash"], PASSWORD)
            clients = {
                row["client_id"]: row
                for row in asyncio.run(
                    _fetch(
                        url,
                        "SELECT client_id, secret_hash, token_endpoint_auth_method, revoked_at"
                        " FROM oauth_clients",
                    )
                )
            }
            assert clients[machine["client_id"]]["secret_hash"] == hash_secret(
                machine["client_secret"]
            )
            assert clients[machine["client_id"]]["revoked_at"] is not None
            public = clients[frontend["client_id"]]
            assert (public["secret_hash"], public["token_endpoint_auth_method"]) == (None, "none")
        finally:
            subprocess.run(
                [LNOB_API, "db", "--stop"], env=env, capture_output=True, timeout=120, check=False
            )


class TestCommandTable:
    """Each invocation imports only the module of the command it runs (cli_admin.COMMANDS)."""

    def test_help_lists_every_command_as_the_full_parser_does(self) -> None:
        assert build_parser(only="").format_help() == build_parser().format_help()
        assert build_parser(only="users").format_help() == build_parser().format_help()

    def test_the_table_names_every_admin_command_and_its_help(self) -> None:
        def commands(parser: Any) -> dict[str, str]:
            (sub,) = (a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
            return {c.dest: c.help for c in sub._choices_actions}

        full, core = commands(build_parser()), commands(build_parser(admin=False))
        assert {k: v for k, v in full.items() if k not in core} == {
            name: help_text for name, (_, help_text) in COMMANDS.items()
        }

    def test_a_command_imports_its_own_module_only(self) -> None:
        probe = (
            "import sys\n"
            "from lnob_api.cli import build_parser\n"
            "args = build_parser(only='grants').parse_args(['grants', 'list'])\n"
            "print(args.handler.__module__)\n"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('lnob_api.cli'))))\n"
            "print('scipy' in sys.modules, 'numpy' in sys.modules)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
        ).stdout.splitlines()
        assert out == [
            "lnob_api.cli_admin.grants",
            "lnob_api.cli lnob_api.cli_admin lnob_api.cli_admin.common "
            "lnob_api.cli_admin.grants lnob_api.cli_admin.parsing",
            "False False",  # the disclosure audit imports them when it first solves
        ]


# -- in-process commands against a scratch database ------------------------------------------


@pytest.fixture(scope="module")
async def admin_url(database_url: str) -> AsyncIterator[str]:
    """A migrated, seeded scratch database with a dataset in KE and one in BD, committed."""
    name = f"lnob_cli_{uuid.uuid4().hex[:8]}"
    server = create_engine(database_url, pool_size=1)
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(migrate.upgrade, url)
    engine = create_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await seed(conn, demo=False)
        for code in ("KE", "BD"):
            coalition = (
                (
                    await conn.execute(
                        sa.text("SELECT id FROM coalitions WHERE code = :c"), {"c": code}
                    )
                )
                .mappings()
                .one()
            )
            await factories.create_dataset(conn, coalition, slug=f"{code.lower()}-survey")
        await factories.create_organisation(conn, slug="nso", name="National Statistics Office")
    await engine.dispose()
    yield url
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await server.dispose()


class Cli:
    """Runs ``lnob-api`` in this process and captures what it prints."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
        self.capsys = capsys
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self.capsys.readouterr()
        code = main(list(args))
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *args: str, stdin: str = "") -> str:
        code, out, err = self(*args, stdin=stdin)
        assert code == 0, err
        return out

    def fails(self, *args: str, message: str, stdin: str = "") -> None:
        code, out, err = self(*args, stdin=stdin)
        assert (code, out) == (1, ""), err
        assert err.startswith("lnob-api: ") and err.count("\n") == 1, err
        assert message in err, err


@pytest.fixture
def cli(
    admin_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cli]:
    monkeypatch.setenv("DATABASE_URL", admin_url)
    monkeypatch.setenv("LNOB_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("LNOB_SIGNING_KEYS", raising=False)
    yield Cli(capsys, monkeypatch)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class TestPasswordInput:
    def test_there_is_no_password_option(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(
                ["users", "create", "--email", "a@b.org", "--name", "A", "--password", PASSWORD]
            )
        assert exited.value.code == 2
        assert "unrecognized arguments: --password" in capsys.readouterr().err

    def test_reads_the_first_line_of_a_pipe(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\r\nsecond line\n"))
        assert users_command.read_password("a@b.org") == PASSWORD

    def test_an_empty_pipe_is_an_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        with pytest.raises(CommandError, match="no password on standard input"):
            users_command.read_password("a@b.org")

    @pytest.mark.parametrize(("second", "matches"), [(PASSWORD, True), ("something else", False)])
    def test_a_terminal_is_asked_twice(
        self, monkeypatch: pytest.MonkeyPatch, second: str, matches: bool
    ) -> None:
        terminal = io.StringIO()
        terminal.isatty = lambda: True  # type: ignore[method-assign]
        monkeypatch.setattr(sys, "stdin", terminal)
        answers = iter([PASSWORD, second])
        prompts: list[str] = []

        def getpass(prompt: str) -> str:
            prompts.append(prompt)
            return next(answers)

        monkeypatch.setattr("getpass.getpass", getpass)
        if matches:
            assert users_command.read_password("a@b.org") == PASSWORD
        else:
            with pytest.raises(CommandError, match="do not match"):
                users_command.read_password("a@b.org")
        assert len(prompts) == 2 and "a@b.org" in prompts[0]


class TestUsersCommands:
    def test_create_then_list(self, cli: Cli) -> None:
        # when
        email = f"{_unique('ana')}@example.org"
        out = cli.ok(
            *("users", "create", "--email", email, "--name", "Ana", "--organisation", "nso"),
            *("--coalition", "ke:viewer", "--coalition", "NP:ADMIN", "--partnership-admin"),
            stdin=PASSWORD + "\n",
        )
        # then
        user_id = int(out.split()[2])
        users = {u["id"]: u for u in json.loads(cli.ok("users", "list", "--json"))}
        assert users[user_id] == users[user_id] | {
            "email": email,
            "organisations": ["nso"],
            "roles": {"KE": "VIEWER", "NP": "ADMIN"},
            "partnership_admin": True,
            "active": True,
        }
        table = cli.ok("users", "list")
        assert email in table and "KE:VIEWER,NP:ADMIN" in table and PASSWORD not in table

    @pytest.mark.parametrize(
        ("extra", "stdin", "message"),
        [
            ((), "short\n", "password: a password needs at least 10 characters"),
            ((), "", "no password on standard input"),
            (("--organisation", "nobody"), PASSWORD, "no organisation with slug 'nobody'"),
            (("--coalition", "KE:BOSS"), PASSWORD, "unknown role 'BOSS'"),
            (("--coalition", "KE"), PASSWORD, "expected CODE:ROLE"),
            (("--coalition", "XX:VIEWER"), PASSWORD, "no coalition with code 'XX'"),
        ],
    )
    def test_create_errors(
        self, cli: Cli, extra: tuple[str, ...], stdin: str, message: str
    ) -> None:
        email = f"{_unique('err')}@example.org"
        cli.fails(
            *("users", "create", "--email", email, "--name", "E", *extra),
            stdin=stdin,
            message=message,
        )

    def test_a_duplicate_e_mail_is_refused(self, cli: Cli) -> None:
        email = f"{_unique('dup')}@example.org"
        args = ("users", "create", "--email", email, "--name", "Dup")
        cli.ok(*args, stdin=PASSWORD)
        cli.fails(
            *("users", "create", "--email", email.upper(), "--name", "Dup"),
            stdin=PASSWORD,
            message="already exists",
        )


class TestUserAccountCommands:
    def _user(self, cli: Cli) -> str:
        email = f"{_unique('acct')}@example.org"
        cli.ok("users", "create", "--email", email, "--name", "Account", stdin=PASSWORD)
        return email

    def _row(self, admin_url: str, email: str) -> dict[str, Any]:
        (row,) = asyncio.run(
            _fetch(
                admin_url,
                f"SELECT id, is_active, password_hash FROM users WHERE email = '{email}'",
            )
        )
        return row

    def test_disable_then_enable(self, cli: Cli, admin_url: str) -> None:
        # given
        email = self._user(cli)
        # when
        out = cli.ok("users", "disable", email.upper())
        # then
        assert out.startswith(f"disabled {email}: sign-in refused")
        assert self._row(admin_url, email)["is_active"] is False
        listed = {u["email"]: u for u in json.loads(cli.ok("users", "list", "--json"))}
        assert listed[email]["active"] is False
        assert "disabled" in cli.ok("users", "list")
        cli.fails("users", "disable", email, message=f"{email} is already disabled")
        # when enabled again
        assert cli.ok("users", "enable", email).startswith(f"enabled {email}")
        assert self._row(admin_url, email)["is_active"] is True
        cli.fails("users", "enable", email, message=f"{email} is not disabled")

    def test_set_password_reads_stdin_and_keeps_only_a_hash(self, cli: Cli, admin_url: str) -> None:
        email = self._user(cli)
        new = "a brand new passphrase"
        out = cli.ok("users", "set-password", email, stdin=new + "\n")
        assert out.startswith(f"password of {email} changed; 0 refresh tokens revoked")
        stored = self._row(admin_url, email)["password_hash"]
        assert verify_password(stored, new) and not verify_password(stored, PASSWORD)
        assert new not in out
        cli.fails("users", "set-password", email, stdin="short\n", message="at least 10")
        cli.fails("users", "set-password", email, stdin="", message="no password on standard")

    def test_the_password_is_never_an_argument(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as exited:
            build_parser().parse_args(["users", "set-password", "a@b.org", PASSWORD])
        assert exited.value.code == 2
        assert "unrecognized arguments" in capsys.readouterr().err

    def test_unlock(self, cli: Cli, admin_url: str) -> None:
        email = self._user(cli)
        assert "nothing to lift" in cli.ok("users", "unlock", email)

    @pytest.mark.parametrize("action", ["unlock", "set-password", "disable", "enable"])
    def test_an_unknown_e_mail(self, cli: Cli, action: str) -> None:
        cli.fails(
            "users", action, "nobody@example.org", stdin=PASSWORD, message="no user with e-mail"
        )

    def test_each_action_is_audited(self, cli: Cli, admin_url: str) -> None:
        email = self._user(cli)
        cli.ok("users", "disable", email)
        cli.ok("users", "enable", email)
        cli.ok("users", "set-password", email, stdin="another long passphrase")
        cli.ok("users", "unlock", email)
        user_id = self._row(admin_url, email)["id"]
        events = asyncio.run(
            _fetch(
                admin_url,
                "SELECT action, client_id, user_id, before, after FROM audit_events"
                f" WHERE entity_type = 'User' AND entity_id = '{user_id}' ORDER BY id",
            )
        )
        assert [e["action"] for e in events] == [
            "user.disable",
            "user.enable",
            "user.set_password",
            "user.unlock",
        ]
        assert {(e["client_id"], e["user_id"]) for e in events} == {("lnob-api command line", None)}
        assert events[0]["before"] == {"is_active": True}
        assert events[0]["after"]["is_active"] is False
        assert "another long passphrase" not in json.dumps([e["after"] for e in events])


class TestOrganisationsCommands:
    def test_create_then_list(self, cli: Cli) -> None:
        slug = _unique("ngo")
        out = cli.ok(
            *("organisations", "create", "--slug", slug, "--name", "An NGO"),
            *("--kind", "national_ngo", "--country", "np"),
        )
        assert out.startswith(f"created organisation {slug} (id ")
        listed = {o["slug"]: o for o in json.loads(cli.ok("organisations", "list", "--json"))}
        assert (listed[slug]["kind"], listed[slug]["country"]) == ("NATIONAL_NGO", "NP")
        assert slug in cli.ok("organisations", "list")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--slug", "nso"), "an organisation with slug 'nso' already exists"),
            (("--slug", "Bad Slug"), "is not a slug"),
            (("--slug", "fine", "--kind", "CLUB"), "unknown kind 'CLUB'"),
            (("--slug", "fine", "--country", "ZZ"), "not an ISO 3166-1 alpha-2 country code"),
        ],
    )
    def test_create_errors(self, cli: Cli, args: tuple[str, ...], message: str) -> None:
        cli.fails("organisations", "create", "--name", "X", *args, message=message)


class TestClientsCommands:
    def test_create_list_revoke(self, cli: Cli) -> None:
        # given a confidential client with redirect URIs
        out = cli.ok(
            *("clients", "create", "--name", "Portal", "--organisation", "nso"),
            *(
                "--scopes",
                "data:read,coalition:admin",
                "--redirect-uri",
                "http://localhost:3000/cb",
            ),
        )
        assert out.startswith("created client lnob_") and "authorization_code" in out
        client_id, secret = out.split()[2], out.split()[-1]
        # when it is listed
        listed = {c["client_id"]: c for c in json.loads(cli.ok("clients", "list", "--json"))}
        # then its secret is not
        assert secret not in json.dumps(listed) and secret not in cli.ok("clients", "list")
        assert listed[client_id] == listed[client_id] | {
            "type": "confidential",
            "scopes": ["data:read", "coalition:admin"],
            "grant_types": ["authorization_code", "refresh_token"],
            "revoked_at": None,
        }
        # when it is revoked, twice
        assert cli.ok("clients", "revoke", client_id).startswith(f"revoked client {client_id}")
        cli.fails("clients", "revoke", client_id, message="already revoked")
        listed = {c["client_id"]: c for c in json.loads(cli.ok("clients", "list", "--json"))}
        assert listed[client_id]["revoked_at"] is not None

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--organisation", "nobody"), "no organisation with slug 'nobody'"),
            (("--scopes", "data:read data:delete"), "unknown scope 'data:delete'"),
            (
                ("--scopes", "data:read partnership:admin"),
                "partnership:admin cannot be given to a client",
            ),
            (("--public",), "a public client needs at least one redirect URI"),
            (("--redirect-uri", "http://example.org/cb"), "is not allowed"),
        ],
    )
    def test_create_errors(self, cli: Cli, args: tuple[str, ...], message: str) -> None:
        defaults = {"--organisation": "nso", "--scopes": "data:read"}
        for flag in ("--organisation", "--scopes"):
            if flag in args:
                defaults.pop(flag)
        base = [part for pair in defaults.items() for part in pair]
        cli.fails("clients", "create", "--name", "X", *base, *args, message=message)

    def test_revoking_an_unknown_client(self, cli: Cli) -> None:
        cli.fails("clients", "revoke", "lnob_nobody", message="no client with id 'lnob_nobody'")


class TestGrantsCommands:
    def _client(self, cli: Cli) -> str:
        out = cli.ok(
            *("clients", "create", "--name", "NSO", "--organisation", "nso"),
            *("--scopes", "data:read", "--json"),
        )
        return str(json.loads(out)["client_id"])

    def test_create_list_revoke(self, cli: Cli) -> None:
        # given
        client_id = self._client(cli)
        # when a dataset of Kenya is opened to the client until a date
        out = cli.ok(
            *("grants", "create", "--coalition", "ke", "--client", client_id),
            *("--dataset", "ke-survey", "--expires", "2099-01-31T12:00:00+03:00"),
        )
        # then
        assert f"KE dataset ke-survey to client:{client_id}" in out
        assert "until 2099-01-31 09:00:00 UTC" in out
        grant_id = int(out.split()[2].rstrip(":"))
        listed = {g["id"]: g for g in json.loads(cli.ok("grants", "list", "--json"))}
        assert listed[grant_id] == listed[grant_id] | {
            "coalition": "KE",
            "dataset": "ke-survey",
            "client_id": client_id,
            "organisation": None,
            "status": "active",
        }
        # a second identical grant is refused until the first is revoked
        again = ("grants", "create", "--coalition", "KE", "--client", client_id)
        cli.fails(*again, "--dataset", "ke-survey", message=f"grant {grant_id} already gives")
        assert cli.ok("grants", "revoke", str(grant_id)).startswith(f"revoked grant {grant_id}")
        cli.fails("grants", "revoke", str(grant_id), message="already revoked")
        table = cli.ok("grants", "list", "--coalition", "KE")
        assert any(
            line.split()[0] == str(grant_id) and "revoked" in line for line in table.splitlines()
        )
        # and the BD list does not show it
        assert str(grant_id) not in [
            g["id"] for g in json.loads(cli.ok("grants", "list", "--coalition", "BD", "--json"))
        ]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("--coalition", "XX"), "no coalition with code 'XX'"),
            (("--organisation", "nobody"), "no organisation with slug 'nobody'"),
            (("--client", "lnob_nobody"), "no client with id 'lnob_nobody'"),
            (("--dataset", "no-such-dataset"), "no dataset with slug 'no-such-dataset'"),
            (("--dataset", "bd-survey"), "dataset: bd-survey does not belong to coalition KE"),
            (("--expires", "2001-01-01"), "expires: the expiry must be in the future"),
            (("--expires", "next week"), "is not a date (YYYY-MM-DD)"),
        ],
    )
    def test_create_errors(self, cli: Cli, args: tuple[str, ...], message: str) -> None:
        grantee = () if {"--organisation", "--client"} & set(args) else ("--organisation", "nso")
        coalition = () if "--coalition" in args else ("--coalition", "KE")
        cli.fails("grants", "create", *coalition, *grantee, *args, message=message)

    def test_a_revoked_client_cannot_be_granted(self, cli: Cli) -> None:
        client_id = self._client(cli)
        cli.ok("clients", "revoke", client_id)
        cli.fails(
            *("grants", "create", "--coalition", "KE", "--client", client_id),
            message=f"client: {client_id} is revoked",
        )

    def test_list_and_revoke_errors(self, cli: Cli) -> None:
        cli.fails("grants", "list", "--coalition", "XX", message="no coalition with code 'XX'")
        cli.fails("grants", "revoke", "0", message="no grant with id 0")


class TestKeysCommands:
    def test_configured_keys_are_not_rotated_here(
        self, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        # given keys that came from LNOB_SIGNING_KEYS
        cli.ok("keys", "rotate")
        monkeypatch.setenv("LNOB_SIGNING_KEYS", (tmp_path / "keys" / "jwks.json").read_text())
        # then rotation is refused, and listing shows them
        cli.fails("keys", "rotate", message="rotate them where they are kept")
        (key,) = json.loads(cli.ok("keys", "list", "--json"))
        assert set(key) == {"kid", "created_at", "retire_at", "signing"}

    def test_list_never_shows_private_material(self, cli: Cli, tmp_path: Path) -> None:
        # given
        assert "no signing keys yet" in cli.ok("keys", "list")
        cli.ok("keys", "rotate")
        cli.ok("keys", "rotate", "--keep-old-for", "60")
        stored = json.loads((tmp_path / "keys" / "jwks.json").read_text())["keys"]
        # when
        listing = cli.ok("keys", "list") + cli.ok("keys", "list", "--json")
        # then
        assert len(stored) == 2
        for key in stored:
            assert key["jwk"]["kid"] in listing
            assert key["jwk"]["d"] not in listing and key["jwk"]["x"] not in listing

    def test_a_damaged_key_file(self, cli: Cli, tmp_path: Path) -> None:
        (tmp_path / "keys").mkdir()
        (tmp_path / "keys" / "jwks.json").write_text('{"keys": [{"jwk": {}}]}')
        cli.fails("keys", "rotate", message="cannot read")
