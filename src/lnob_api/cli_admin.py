"""Bootstrapping commands: users, clients, organisations, grants, keys."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the admin subcommands to the ``lnob-api`` parser."""
    _ = sub, argparse
