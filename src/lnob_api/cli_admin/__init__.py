"""Bootstrapping commands: users, clients, organisations, grants, keys, tokens, purge.

Each command runs in one transaction of its own against the database the ``lnob-api`` command
resolves (``DATABASE_URL``, or the embedded server in ``LNOB_DATA_DIR``); it assumes the schema is
migrated. Success prints one line (or a table, or JSON with ``--json``) on stdout; an error an
operator can cause prints ``lnob-api: <what was wrong>`` on stderr and exits with status 1.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lnob_api.cli_admin import (
    clients,
    disclosure,
    grants,
    keys,
    organisations,
    purge,
    tokens,
    users,
)

if TYPE_CHECKING:
    from argparse import _SubParsersAction

__all__ = ["register"]


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the admin subcommands to the ``lnob-api`` parser."""
    for module in (users, clients, organisations, grants, keys, tokens, purge, disclosure):
        module.register(sub)
