"""``lnob-api disclosure audit``: run the attacker's LP for every outside audience.

Exit status 0 when no small cell can be narrowed below its protection interval, 1 when some
can (each is listed, with the relations that narrow it) or on an error.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.cli_admin.common import guarded, in_transaction, print_json
from lnob_api.cli_admin.parsing import command_group
from lnob_api.config import Settings
from lnob_api.disclosure import service as disclosure
from lnob_api.disclosure.audit import Finding
from lnob_api.disclosure.model import DEFAULT_RATE_SHARE

if TYPE_CHECKING:
    from argparse import _SubParsersAction


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = command_group(sub, "disclosure", help="disclosure control: audit the published data")
    run = actions.add_parser(
        "audit",
        help="for every outside audience, list the small cells its LP narrows "
        "below their protection interval (exit 1 when there are any)",
    )
    run.add_argument("--coalition", metavar="CODE", help="only this coalition (default: all)")
    run.add_argument(
        "--rate-share",
        type=float,
        default=None,
        metavar="SHARE",
        help="protection of rate numerators, a share of the value (default: each coalition's"
        f" rate share setting, {DEFAULT_RATE_SHARE} unless changed)",
    )
    run.add_argument("--json", action="store_true", help="print JSON")
    run.set_defaults(handler=guarded(cmd_audit))


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: AsyncConnection) -> list[disclosure.CoalitionAudit]:
        codes = [args.coalition] if args.coalition else await disclosure.coalition_codes(conn)
        return [
            await disclosure.audit_coalition(conn, code, rate_share=args.rate_share)
            for code in codes
        ]

    audits = in_transaction(settings, work)
    if args.json:
        print_json([audit_json(a) for a in audits])
    else:
        for audit in audits:
            _print(audit)
    return 0 if all(a.clean for a in audits) else 1


def _number(x: float) -> float | None:
    return None if math.isinf(x) else round(x, 6)


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "observation_id": f.cell_id,
        "quantity": f.kind.value,
        "value": _number(f.value),
        "interval": [_number(f.interval[0]), _number(f.interval[1])],
        "protection": [_number(f.protection[0]), _number(f.protection[1])],
        "constraints": list(f.constraints),
    }


def audit_json(audit: disclosure.CoalitionAudit) -> dict[str, Any]:
    return {
        "coalition": audit.coalition,
        "threshold": audit.threshold,
        "rate_share": audit.rate_share,
        "clean": audit.clean,
        "audiences": [
            {
                "audience": a.audience,
                "cells": a.cells,
                "withheld": a.withheld,
                "findings": [finding_json(f) for f in a.findings],
            }
            for a in audit.audiences
        ],
    }


def _print(audit: disclosure.CoalitionAudit) -> None:
    verdict = "protected" if audit.clean else "NARROWED CELLS FOUND"
    print(f"{audit.coalition} (threshold {audit.threshold}): {verdict}")
    for a in audit.audiences:
        print(
            f"  {a.audience}: reads {a.cells} cells, {a.withheld} withheld, "
            f"{len(a.findings)} narrowed"
        )
        for f in a.findings:
            lo, hi = (_number(x) for x in f.interval)
            need_lo, need_hi = (_number(x) for x in f.protection)
            print(
                f"    observation {f.cell_id} {f.kind.value.lower()}: attacker's interval "
                f"[{lo}, {hi}], protection needs [{need_lo}, {need_hi}]"
            )
            for c in f.constraints:
                print(f"      by {c}")
