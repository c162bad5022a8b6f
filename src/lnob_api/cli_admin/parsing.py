"""How admin commands declare themselves: a group of actions, each run guarded."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from lnob_api.cli_admin.common import Handler, guarded

if TYPE_CHECKING:
    from argparse import _SubParsersAction

    Actions = _SubParsersAction[argparse.ArgumentParser]


def command_group(sub: Actions, name: str, *, help: str) -> Actions:
    """The ``lnob-api NAME ACTION`` command; returns where its actions are added."""
    return sub.add_parser(name, help=help).add_subparsers(dest="action", required=True)


def add_listing(actions: Actions, handler: Handler, *, help: str) -> argparse.ArgumentParser:
    """The group's ``list`` action, run by ``handler``: a table, or JSON with ``--json``."""
    listing = actions.add_parser("list", help=help)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=guarded(handler))
    return listing
