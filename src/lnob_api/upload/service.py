"""Uploading observations from a CSV or XLSX file into a draft dataset version.

The file is read twice, streaming both times: once for its SHA-256 (a file already loaded
into this version changes nothing), then row by row: each row is checked (``validate``) and
the good ones are streamed with COPY into a temporary staging table on the caller's
transaction. Keys repeated within the file and keys already in the dataset are found in SQL.
One problem rejects the whole file (``UploadRejected``, which the caller's savepoint turns into
"nothing written"); otherwise one INSERT ... SELECT moves the rows into ``observations``, the
upload is recorded (content hash, rows) and audited as ``dataset.upload``. With ``replace``,
the version's observations (and upload records) are deleted first, in the same transaction.

Only drafts accept uploads; the caller needs the EDITOR role in the dataset's coalition and the
``data:write`` scope. Services flush, never commit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.service import Actor
from lnob_api.auth import resolver
from lnob_api.auth.principal import Principal, Scope
from lnob_api.errors import Forbidden, InvalidInput, NotFound
from lnob_api.models.enums import CoalitionRole, DatasetStatus
from lnob_api.observation import service as observation_service
from lnob_api.observation.service import DisclosureWarning
from lnob_api.upload import readers
from lnob_api.upload import repository as repo
from lnob_api.upload.mapping import ColumnMapping, resolve
from lnob_api.upload.validate import (
    LIMIT,
    FileRejected,
    Lookups,
    Problem,
    ProblemLog,
    Record,
    RowChecker,
)

BATCH = 5000


@dataclass(frozen=True, slots=True)
class UploadReport:
    """What happened to one file."""

    sha256: str
    rows_read: int = 0
    rows_written: int = 0
    duplicate_of_previous_upload: bool = False
    problems: tuple[Problem, ...] = ()
    problem_count: int = 0
    ignored_columns: tuple[str, ...] = ()
    observations_replaced: int = 0
    # Rows written all the same, that outsiders will not see (observation.service).
    warnings: tuple[DisclosureWarning, ...] = ()


class UploadRejected(FileRejected[UploadReport]):
    """An observations file with problems: nothing of it is written."""


async def upload(
    session: AsyncSession,
    actor: Actor,
    *,
    dataset_id: int,
    file: IO[bytes],
    filename: str,
    mapping: ColumnMapping,
    replace: bool = False,
) -> UploadReport:
    """Load the file's observations into the draft ``dataset_id``, all or nothing."""
    dataset = await _draft_for_upload(session, actor, dataset_id)
    sha256 = await asyncio.to_thread(readers.sha256_of, file)
    if not replace and await repo.known_upload(session, dataset.id, sha256) is not None:
        return UploadReport(sha256, duplicate_of_previous_upload=True)
    lookups = await _lookups(session, dataset.coalition_id)
    stream = _FileStream(file, filename, mapping, lookups, _default_indicator(mapping, lookups))
    await repo.create_staging(session)
    await repo.copy_into_staging(session, stream.records())
    await _find_duplicates(session, dataset.id, stream.log, check_existing=not replace)
    if stream.log.count:
        raise UploadRejected(
            UploadReport(
                sha256,
                rows_read=stream.rows_read,
                problems=tuple(stream.log.kept),
                problem_count=stream.log.count,
                ignored_columns=stream.ignored,
            )
        )
    replaced = await repo.clear_dataset(session, dataset.id) if replace else 0
    written = await repo.insert_observations(session, dataset.id)
    await repo.link_indicators(session, dataset.id)
    await repo.drop_staging(session)
    report = UploadReport(
        sha256,
        rows_read=stream.rows_read,
        rows_written=written,
        ignored_columns=stream.ignored,
        observations_replaced=replaced,
        warnings=tuple(await observation_service.disclosure_warnings(session, dataset.id)),
    )
    await _record(session, actor, dataset, report, filename=filename[:300], replace=replace)
    return report


async def _draft_for_upload(
    session: AsyncSession, actor: Actor, dataset_id: int
) -> repo.LockedDataset:
    """The dataset, locked, once the actor may upload into it and it is a draft."""
    dataset = await repo.lock_dataset(session, dataset_id, actor.principal)
    if dataset is None:
        raise InvalidInput("datasetId", "no such dataset", code="NOT_FOUND")
    checks.require_scope(actor.principal, Scope.DATA_WRITE)
    checks.require_role(actor.principal, dataset.coalition_id, CoalitionRole.EDITOR)
    if dataset.status != DatasetStatus.DRAFT:
        raise InvalidInput(
            "datasetId",
            f"only a draft accepts uploads; this version is {dataset.status} (edit the dataset "
            "to open its next draft version)",
            code="INVALID_STATE",
        )
    return dataset


def _default_indicator(mapping: ColumnMapping, lookups: Lookups) -> int | None:
    if not mapping.indicator_code:
        return None
    found = lookups.indicators.get(mapping.indicator_code.strip().lower())
    if found is None:
        raise InvalidInput(
            "mapping.indicatorCode",
            f"unknown indicator {mapping.indicator_code!r}",
            code="INVALID_CODE",
        )
    return found


async def _record(
    session: AsyncSession,
    actor: Actor,
    dataset: repo.LockedDataset,
    report: UploadReport,
    *,
    filename: str,
    replace: bool,
) -> None:
    """Record the upload (its hash makes a re-upload a no-op), count it as a change of the
    dataset, and audit it."""
    upload_id = await repo.record_upload(
        session,
        {
            "dataset_id": dataset.id,
            "sha256": report.sha256,
            "filename": filename,
            "rows": report.rows_written,
            "user_id": actor.principal.user_id,
            "client_id": actor.principal.client_id,
        },
    )
    row_version = await repo.touch_dataset(session, dataset.id)
    await audit.record(
        session,
        actor.principal,
        action="dataset.upload",
        entity_type="Dataset",
        entity_id=dataset.id,
        coalition_id=dataset.coalition_id,
        before={"row_version": dataset.row_version},
        after={
            "row_version": row_version,
            "upload_id": upload_id,
            "filename": filename,
            "sha256": report.sha256,
            "rows_read": report.rows_read,
            "rows_written": report.rows_written,
            "replace": replace,
            "observations_replaced": report.observations_replaced,
        },
        request_id=actor.request_id,
    )


async def _lookups(session: AsyncSession, coalition_id: int) -> Lookups:
    country = await repo.coalition_country(session, coalition_id)
    codes: set[str] = set()
    names: dict[str, list[str]] = {}
    for code, name in await repo.country_areas(session, country):
        codes.add(code.upper())
        names.setdefault(name.strip().lower(), []).append(code)
    return Lookups(
        indicators=await repo.indicator_ids(session, coalition_id),
        area_codes=frozenset(codes),
        area_names={name: tuple(sorted(found)) for name, found in names.items()},
        country=country,
    )


async def _find_duplicates(
    session: AsyncSession, dataset_id: int, log: ProblemLog, *, check_existing: bool
) -> None:
    repeated, total = await repo.duplicates_in_file(session, LIMIT)
    log.merge(
        [
            Problem(row, None, "DUPLICATE_IN_FILE", f"the same observation key as row {first}")
            for row, first in repeated
        ],
        total,
    )
    if check_existing and await repo.has_observations(session, dataset_id):
        existing, total = await repo.duplicates_of_existing(session, dataset_id, LIMIT)
        log.merge(
            [
                Problem(
                    row,
                    None,
                    "DUPLICATE_OF_EXISTING",
                    "the dataset already has an observation with this key "
                    "(upload with replace to start over)",
                )
                for row in existing
            ],
            total,
        )


class _FileStream:
    """Reads, checks and yields the file's good rows; blocking work runs in a thread."""

    def __init__(
        self,
        file: IO[bytes],
        filename: str,
        mapping: ColumnMapping,
        lookups: Lookups,
        default_indicator: int | None,
    ) -> None:
        self.file, self.filename, self.mapping = file, filename, mapping
        self.lookups, self.default_indicator = lookups, default_indicator
        self.log = ProblemLog()
        self.rows_read = 0
        self.ignored: tuple[str, ...] = ()
        self._rows: Iterator[list[str]] | None = None
        self._checker: RowChecker | None = None
        self._row = 1

    async def records(self) -> AsyncIterator[Record]:
        if not await asyncio.to_thread(self._open):
            return
        while (batch := await asyncio.to_thread(self._next_batch)) is not None:
            for record in batch:
                yield record

    def _fail(self, error: readers.FileUnreadable) -> None:
        self.log.add(Problem(error.row, None, "INVALID_FILE", error.message))
        self._rows = None

    def _open(self) -> bool:
        try:
            self._rows = readers.rows(self.file, self.filename, sheet=self.mapping.sheet)
            header = next(self._rows, None)
        except readers.FileUnreadable as error:
            self._fail(error)
            return False
        if header is None or not any(header):
            self._fail(readers.FileUnreadable("the first row must name the columns"))
            return False
        columns = resolve(header, self.mapping)
        self.ignored = columns.ignored
        for problem in columns.problems:
            self.log.add(Problem(1, problem.column, problem.code, problem.message))
        if columns.problems:
            self._rows = None
            return False
        self._checker = RowChecker(
            header, columns, self.lookups, default_indicator=self.default_indicator
        )
        return True

    def _next_batch(self) -> list[Record] | None:
        if self._rows is None or self._checker is None:
            return None
        batch: list[Record] = []
        check, log = self._checker.check, self.log
        try:
            for cells in self._rows:
                self._row += 1
                if not any(cells):
                    continue  # blank lines are not observations
                self.rows_read += 1
                record = check(self._row, cells, log)
                if record is not None:
                    batch.append(record)
                if len(batch) >= BATCH:
                    return batch
        except readers.FileUnreadable as error:
            self._fail(error)
            return batch
        self._rows = None
        if self.rows_read == 0 and not self.log.count:
            self.log.add(Problem(2, None, "INVALID_FILE", "the file has no data rows"))
        return batch


async def principal_for_user(session: AsyncSession, email: str) -> Principal:
    """The principal of a registered, active user, with the scopes to write data (the CLI has
    no token: it acts as the user an operator names)."""
    user = await repo.user_by_email(session, email)
    if user is None:
        raise NotFound(f"no user {email!r}")
    if not user["is_active"]:
        raise Forbidden(f"the user {email!r} is deactivated")
    scopes = frozenset({Scope.DATA_READ.value, Scope.DATA_WRITE.value})
    principal = await resolver.principal_for_user(session, int(user["id"]), scopes)
    if principal is None:  # deleted or deactivated since the lookup above
        raise Forbidden(f"the user {email!r} is deactivated")
    return principal


async def draft_of_slug(session: AsyncSession, slug: str) -> int:
    """The id of the open draft version of the dataset ``slug``."""
    found = await repo.draft_by_slug(session, slug)
    if found is not None:
        return found
    if await repo.dataset_slug_exists(session, slug):
        raise InvalidInput(
            "dataset",
            f"{slug!r} has no draft version: only drafts accept uploads (edit the dataset to "
            "open its next draft version)",
            code="INVALID_STATE",
        )
    raise NotFound(f"no dataset {slug!r}")
