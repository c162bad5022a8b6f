"""``lnob-api purge``: delete expired OAuth state, forgotten sign-in throttles and old
idempotency keys now (the server also does it every ``LNOB_PURGE_INTERVAL`` seconds)."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING

from lnob_api.cli_admin.common import guarded, in_transaction, print_json
from lnob_api.config import Settings

if TYPE_CHECKING:
    from argparse import _SubParsersAction


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    purge = sub.add_parser(
        "purge",
        help="delete expired authorization codes, tokens, throttles and idempotency keys",
        description="Delete rows no rule needs any more: expired authorization codes, expired "
        "or long-revoked refresh tokens, revocations of expired tokens, forgotten sign-in "
        "throttles, idempotency keys older than 24 hours. Prints the counts.",
    )
    purge.add_argument("--json", action="store_true", help="print the counts as JSON")
    purge.set_defaults(handler=guarded(cmd_purge))


def cmd_purge(args: argparse.Namespace, settings: Settings) -> int:
    from lnob_api.maintenance.service import purge

    report = in_transaction(settings, purge)
    if args.json:
        print_json(asdict(report), compact=True)
    else:
        print(report)
    return 1 if report.skipped else 0
