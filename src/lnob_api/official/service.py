"""Importing official reference values from a CSV file: all rows or none.

Who may import: partnership admins (with the partnership:admin scope) for any area; coalition
editors (with data:write) for areas of their coalitions' countries. Every row is checked
(indicator or target code, area, SDMX period, numeric value, dimension codes, no key twice in
the file); one problem rejects the whole file (``OfficialUploadRejected``, which the caller's
savepoint turns into "nothing written") with a report of the problems by row number. A row
whose key (measure, area, period, dimensions) the same source already holds replaces that
value: re-importing a refreshed extract updates it. The import is audited.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.access import checks
from lnob_api.audit import service as audit
from lnob_api.audit.service import Actor
from lnob_api.auth.principal import Principal, Scope
from lnob_api.coalition import service as coalition_service
from lnob_api.errors import Forbidden, InvalidInput, ValidationFailed
from lnob_api.models.enums import CoalitionRole
from lnob_api.official import reader
from lnob_api.official import repository as repo
from lnob_api.official.reader import Lookups, ProblemLog
from lnob_api.sdg import service as sdg_service
from lnob_api.upload.validate import FileRejected, Problem

__all__ = ["Actor", "OfficialUploadRejected", "UploadReport", "upload"]


@dataclass(frozen=True, slots=True)
class UploadReport:
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    problems: tuple[Problem, ...] = ()
    problem_count: int = 0
    ignored_columns: tuple[str, ...] = ()


class OfficialUploadRejected(FileRejected[UploadReport]):
    """A file of official values with problems: nothing of it is written."""


async def _allowed_countries(session: AsyncSession, principal: Principal) -> frozenset[str] | None:
    """Countries whose areas the principal may import values for; None for any."""
    if principal.acts_as_partnership_admin:
        return None
    checks.require_scope(principal, Scope.DATA_WRITE)
    editable = principal.coalitions_with_role(CoalitionRole.EDITOR)
    if not editable:
        raise Forbidden(
            "this needs the EDITOR role in a coalition (for its country's areas) or a "
            "partnership admin"
        )
    return frozenset(await repo.coalition_codes(session, sorted(editable)))


def _check_source(source: str, source_url: str | None) -> tuple[str, str | None]:
    problems: list[InvalidInput] = []
    name = source.strip()
    if not name:
        problems.append(InvalidInput("source", "name the source", code="REQUIRED"))
    elif len(name) > 300:
        problems.append(InvalidInput("source", "at most 300 characters", code="TOO_LONG"))
    url = (source_url or "").strip() or None
    if url is not None and (len(url) > 1000 or not url.startswith(("https://", "http://"))):
        problems.append(InvalidInput("sourceUrl", "an http(s) address of at most 1000 characters"))
    if problems:
        raise ValidationFailed(problems)
    return name, url


async def _lookups(
    session: AsyncSession, parsed: reader.Parsed, allowed: frozenset[str] | None
) -> Lookups:
    codes = sorted({cells.get("indicator", "") for _, cells in parsed.rows} - {""})
    area_codes = sorted({cells.get("area", "").upper() for _, cells in parsed.rows} - {""})
    return Lookups(
        indicators=await repo.global_indicators(session, codes),
        targets=await sdg_service.existing_targets(session, [c.lower() for c in codes]),
        areas=await repo.area_countries(session, area_codes),
        allowed_countries=allowed,
    )


def _check_rows(
    parsed: reader.Parsed, lookups: Lookups, log: ProblemLog, common: dict[str, Any]
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    first_row: dict[tuple[Any, ...], int] = {}
    for row, cells in parsed.rows:
        record = reader.check_row(row, cells, lookups, parsed.columns, log)
        if record is None:
            continue
        key = reader.key_of(record)
        if key in first_row:
            log.add(row, None, "DUPLICATE_IN_FILE", f"the same value as row {first_row[key]}")
            continue
        first_row[key] = row
        records.append(record | common)
    return records


async def upload(
    session: AsyncSession,
    actor: Actor,
    *,
    file: IO[bytes],
    source: str,
    source_url: str | None,
    retrieved_on: date | None,
) -> UploadReport:
    """Import the file's official values from ``source``, all or nothing."""
    allowed = await _allowed_countries(session, actor.principal)
    name, url = _check_source(source, source_url)
    log = ProblemLog()
    parsed = await asyncio.to_thread(reader.read, file, log)
    if not parsed.rows and not log.count:
        log.add(2, None, "INVALID_FILE", "the file has no data rows")
    records: list[dict[str, Any]] = []
    if not log.count:
        lookups = await _lookups(session, parsed, allowed)
        common = {
            "source_name": name,
            "source_url": url,
            "retrieved_on": retrieved_on or datetime.now(UTC).date(),
        }
        records = _check_rows(parsed, lookups, log, common)
    report = UploadReport(
        rows_read=len(parsed.rows),
        problems=tuple(log.kept),
        problem_count=log.count,
        ignored_columns=tuple(parsed.ignored),
    )
    if log.count:
        raise OfficialUploadRejected(report)
    inserted, updated = await repo.upsert(session, records)
    countries = sorted({lookups.areas[r["area_code"]] for r in records})
    coalitions = await coalition_service.coalition_ids(session, countries)
    await audit.record(
        session,
        actor.principal,
        action="official_values.upload",
        entity_type="OfficialValues",
        entity_id=name[:80],
        coalition_id=next(iter(coalitions.values()))
        if len(countries) == 1 and coalitions
        else None,
        before=None,
        after={
            "source": name,
            "source_url": url,
            "countries": countries,
            "rows": len(records),
            "inserted": inserted,
            "updated": updated,
        },
        request_id=actor.request_id,
    )
    return UploadReport(
        rows_read=len(parsed.rows),
        rows_inserted=inserted,
        rows_updated=updated,
        ignored_columns=tuple(parsed.ignored),
    )
