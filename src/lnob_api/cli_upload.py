"""``lnob-api upload``: load a large CSV or XLSX file of observations into a draft dataset.

The same service as the ``observationsUpload`` mutation, in one transaction of its own: the
same column mapping (``lnob_api.upload.mapping``), checks and all-or-nothing rule. There is no
token: the command acts as the user named by ``--as`` and needs that user's EDITOR role in the
dataset's coalition. A refused file prints its first problems and their count on stdout and
exits with status 1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lnob_api.cli_admin.common import CommandError, fail, guarded, in_transaction
from lnob_api.config import Settings
from lnob_api.errors import InvalidInput

if TYPE_CHECKING:
    from argparse import _SubParsersAction

    from lnob_api.upload.mapping import ColumnMapping
    from lnob_api.upload.service import UploadReport

SHOWN_PROBLEMS = 20


def register(sub: _SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``upload`` to the ``lnob-api`` parser."""
    upload = sub.add_parser(
        "upload",
        help="load observations from a CSV or XLSX file into a draft dataset",
        description="Load observations from a CSV or XLSX file (KoboToolbox and ODK Central "
        "exports as they are) into a draft dataset version: every row or none. Uploading the "
        "same file into the same version again changes nothing.",
    )
    upload.add_argument(
        "dataset",
        metavar="DATASET",
        help="dataset slug (its current draft version) or global id of a draft version",
    )
    upload.add_argument("file", metavar="FILE", type=Path, help="the .csv or .xlsx file")
    upload.add_argument(
        "--mapping",
        metavar="JSON",
        help='column mapping as JSON or a JSON file, e.g. {"value": "Score", '
        '"indicatorCode": "1.2.1", "dimensions": ["education_lev"]}',
    )
    upload.add_argument(
        "--replace", action="store_true", help="delete the version's observations first"
    )
    upload.add_argument(
        "--as",
        dest="as_user",
        required=True,
        metavar="EMAIL",
        help="act as this user (needs the EDITOR role in the dataset's coalition)",
    )
    upload.set_defaults(handler=guarded(cmd_upload))


def read_mapping(text: str | None) -> ColumnMapping:
    """The mapping from inline JSON or from a JSON file."""
    from lnob_api.upload.mapping import ColumnMapping

    if not text:
        return ColumnMapping()
    source = text
    if not text.lstrip().startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise CommandError(f"--mapping: neither JSON nor a file: {text}")
        source = path.read_text(encoding="utf-8")
    try:
        data: Any = json.loads(source)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--mapping: invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CommandError("--mapping: give a JSON object")
    try:
        return ColumnMapping.from_dict(data)
    except ValueError as exc:
        raise CommandError(f"--mapping: {exc}") from None


def _dataset_key(reference: str) -> int | None:
    """The key of a global ``Dataset`` id, or None when ``reference`` is not one (a slug)."""
    from lnob_api.graphql.ids import from_global_id

    try:
        type_name, key = from_global_id(reference)
    except InvalidInput:
        return None
    return int(key) if type_name == "Dataset" and key.isdigit() else None


def cmd_upload(args: argparse.Namespace, settings: Settings) -> int:
    from lnob_api.audit.service import Actor
    from lnob_api.upload import service

    mapping = read_mapping(args.mapping)
    path: Path = args.file
    if not path.is_file():
        raise CommandError(f"no file {path}")

    async def work(conn: AsyncConnection) -> UploadReport:
        session = AsyncSession(
            bind=conn,
            expire_on_commit=False,
            autoflush=False,
            join_transaction_mode="rollback_only",
        )
        try:
            principal = await service.principal_for_user(session, args.as_user)
            dataset_id = _dataset_key(args.dataset)
            if dataset_id is None:
                dataset_id = await service.draft_of_slug(session, args.dataset)
            with path.open("rb") as file:
                report = await service.upload(
                    session,
                    Actor(principal),
                    dataset_id=dataset_id,
                    file=file,
                    filename=path.name,
                    mapping=mapping,
                    replace=args.replace,
                )
            await session.flush()
            return report
        finally:
            await session.close()

    try:
        report = in_transaction(settings, work)
    except service.UploadRejected as rejected:
        _print_problems(rejected.report)
        count = rejected.report.problem_count
        return fail(f"{path.name} refused: {count} problem(s); nothing was written")
    if report.duplicate_of_previous_upload:
        print(f"{path.name} was already uploaded into this version: nothing changed")
        return 0
    replaced = (
        f", after deleting {report.observations_replaced} observations" if args.replace else ""
    )
    print(
        f"uploaded {path.name}: {report.rows_read} rows read, {report.rows_written} "
        f"observations written{replaced} (sha256 {report.sha256})"
    )
    if report.ignored_columns:
        print(f"ignored columns: {', '.join(report.ignored_columns)}")
    return 0


def _print_problems(report: UploadReport) -> None:
    print(f"{report.rows_read} rows read; {report.problem_count} problem(s):")
    for problem in report.problems[:SHOWN_PROBLEMS]:
        column = f" [{problem.column}]" if problem.column else ""
        print(f"  row {problem.row}{column} {problem.code}: {problem.message}")
    if report.problem_count > SHOWN_PROBLEMS:
        print(f"  ... and {report.problem_count - SHOWN_PROBLEMS} more")
