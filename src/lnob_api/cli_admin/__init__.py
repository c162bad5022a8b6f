"""Bootstrapping commands: users, clients, organisations, grants, keys, tokens, purge.

Each command runs in one transaction of its own against the database the ``lnob-api`` command
resolves (``DATABASE_URL``, or the embedded server in ``LNOB_DATA_DIR``); it assumes the schema is
migrated. Success prints one line (or a table, or JSON with ``--json``) on stdout; an error an
operator can cause prints ``lnob-api: <what was wrong>`` on stderr and exits with status 1.

This package imports none of its command modules: each imports a good part of the service (the
disclosure audit numpy and scipy, the keys joserfc), so one invocation imports only the module of
the command it runs (``register(sub, only=...)``).
"""

from __future__ import annotations

import argparse
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argparse import _SubParsersAction

__all__ = ["COMMANDS", "register"]

# Every admin command: the module that registers it and its one-line help (what ``lnob-api
# --help`` lists without importing the module; tests/test_cli_admin.py checks that both agree).
# In the order ``lnob-api --help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "users": (
        "lnob_api.cli_admin.users",
        "create, list, unlock, disable and enable user accounts; set passwords",
    ),
    "clients": ("lnob_api.cli_admin.clients", "register, list and revoke OAuth clients"),
    "organisations": ("lnob_api.cli_admin.organisations", "create and list organisations"),
    "grants": ("lnob_api.cli_admin.grants", "give, list and revoke access grants"),
    "keys": ("lnob_api.cli_admin.keys", "rotate and list the token signing keys"),
    "tokens": ("lnob_api.cli_admin.tokens", "issue a user's access token from the shell"),
    "purge": (
        "lnob_api.cli_admin.purge",
        "delete expired authorization codes, tokens, throttles and idempotency keys",
    ),
    "disclosure": (
        "lnob_api.cli_admin.disclosure",
        "disclosure control: audit the published data",
    ),
    "upload": (
        "lnob_api.cli_upload",
        "load observations from a CSV or XLSX file into a draft dataset",
    ),
}


def register(sub: _SubParsersAction[argparse.ArgumentParser], *, only: str | None = None) -> None:
    """Add the admin subcommands (and ``upload``) to the ``lnob-api`` parser.

    ``only``: the command about to run; its module alone is imported and registers its full
    parser, every other command gets a bare parser with its help line (enough for ``lnob-api
    --help`` and for argparse's list of choices). ``None``: every module, every full parser.
    """
    for name, (module, help_text) in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(module).register(sub)
        else:
            sub.add_parser(name, help=help_text)
