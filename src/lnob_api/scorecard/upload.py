"""Uploading rounds of scorecard scores from a CSV file: all rounds or none.

Columns (header names case-insensitive): period, criterion (the criterion's id or its label,
case-insensitive), community_score, provider_score, agreed_score and optionally note; one row
per criterion and period. The file is read like the official values' files (UTF-8, delimiter
guessed from the header line, rows numbered as a spreadsheet shows them, blank rows skipped).
Rows are grouped by period, and each period is recorded as one round through
``scores.record_scores``, the rules of ``scorecardScoresRecord``: every criterion, scores
within the scale, a period already recorded only with ``replace``. Its problems are reported
on the rows they concern. One problem rejects the whole file (``ScoresUploadRejected``, which
the caller's savepoint turns into "nothing written"). Each round recorded is audited.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from sqlalchemy.ext.asyncio import AsyncSession

from lnob_api.audit.service import Actor
from lnob_api.errors import InvalidInput, ValidationFailed
from lnob_api.official import reader
from lnob_api.official.reader import ProblemLog
from lnob_api.scorecard import repository as repo
from lnob_api.scorecard.scores import SCORE_FIELDS, ScoreEntry, record_scores
from lnob_api.scorecard.service import writable
from lnob_api.upload.validate import FileRejected, Problem

__all__ = ["ScoresUploadRejected", "ScoresUploadReport", "upload_scores"]

ALIASES: dict[str, tuple[str, ...]] = {
    "period": ("period",),
    "criterion": ("criterion",),
    "community_score": ("community_score",),
    "provider_score": ("provider_score",),
    "agreed_score": ("agreed_score",),
    "note": ("note",),
}
REQUIRED = ("period", "criterion", "community_score", "provider_score", "agreed_score")
# Input field names of the score columns (as ``record_scores`` reports them) -> columns.
_SCORE_COLUMNS = {field: column for column, field in SCORE_FIELDS.items()}
_ENTRY = re.compile(r"scores\.(\d+)(?:\.(\w+))?$")


@dataclass(frozen=True, slots=True)
class ScoresUploadReport:
    rows_read: int = 0
    rounds_recorded: int = 0
    problems: tuple[Problem, ...] = ()
    problem_count: int = 0


class ScoresUploadRejected(FileRejected[ScoresUploadReport]):
    """A file of scorecard scores with problems: nothing of it is written."""


# One period's rows: (row number, entry), the entry's index being its place in the list.
Round = list[tuple[int, ScoreEntry]]


def _criterion_keys(criteria: list[tuple[int, str]], id_of: Callable[[int], str]) -> dict[str, int]:
    """How a cell may name each criterion: its (global) id, its label in any case."""
    keys: dict[str, int] = {}
    for pk, label in criteria:
        keys[label.strip().lower()] = pk
        keys[id_of(pk).lower()] = pk
    return keys


def group_rows(
    parsed: reader.Parsed, criteria: dict[str, int], log: ProblemLog
) -> dict[str, Round]:
    """The rows as score entries by period (in the file's order), logging each row's problems
    (an empty cell, an unknown criterion, a score that is not a number)."""
    columns = parsed.columns
    rounds: dict[str, Round] = {}
    for row, cells in parsed.rows:
        before = log.count
        period, named = cells.get("period", ""), cells.get("criterion", "")
        for name, value in (("period", period), ("criterion", named)):
            if not value:
                log.add(row, columns.get(name), "REQUIRED", f"{name} is empty")
        criterion = criteria.get(named.lower())
        if named and criterion is None:
            log.add(
                row,
                columns["criterion"],
                "UNKNOWN_CRITERION",
                f"{named!r} is neither the id nor the label of a criterion of this scorecard",
            )
        values: dict[str, float | None] = {}
        for name in SCORE_FIELDS:
            cell = cells.get(name, "")
            values[name] = reader.parse_number(cell) if cell else None
            if cell and values[name] is None:
                log.add(row, columns[name], "INVALID_SCORE", f"{cell!r} is not a number")
        if log.count != before or criterion is None:
            continue
        entries = rounds.setdefault(period, [])
        entries.append(
            (
                row,
                ScoreEntry(
                    index=len(entries),
                    criterion_id=criterion,
                    note=cells.get("note", ""),
                    **values,
                ),
            )
        )
    return rounds


def _locate(
    problem: InvalidInput, entries: Round, columns: dict[str, str]
) -> tuple[int, str | None, str]:
    """The row, column and problem code of a round's problem, as ``record_scores`` found it."""
    first = entries[0][0]
    matched = _ENTRY.match(problem.field)
    if matched is not None:
        row = entries[int(matched.group(1))][0]
        field = matched.group(2)
        if field is None:
            return row, None, "NO_SCORE"
        if field == "criterion":
            code = "DUPLICATE_IN_FILE" if problem.reason == "NOT_UNIQUE" else "UNKNOWN_CRITERION"
            return row, columns["criterion"], code
        column = _SCORE_COLUMNS.get(field)
        return row, columns.get(column or "", field), "OUT_OF_SCALE"
    if problem.field == "scores":
        return first, columns["criterion"], "MISSING_CRITERIA"
    if problem.field == "period":
        code = "PERIOD_RECORDED" if problem.reason == "NOT_UNIQUE" else "INVALID_PERIOD"
        return first, columns["period"], code
    return first, None, "INVALID"


async def upload_scores(
    session: AsyncSession,
    actor: Actor,
    *,
    scorecard_id: int,
    file: IO[bytes],
    replace: bool,
    id_of: Callable[[int], str],
) -> ScoresUploadReport:
    """Record the file's rounds of scores on the scorecard, all or nothing. ``id_of`` gives a
    criterion's id as clients see it (the criterion column may name it)."""
    card = await writable(session, actor, scorecard_id, "scorecard")
    criteria = [(c.id, c.label) for c in await repo.criteria_of(session, card.id)]
    log = ProblemLog()
    parsed = await asyncio.to_thread(reader.read, file, log, aliases=ALIASES, required=REQUIRED)
    if not parsed.rows and not log.count:
        log.add(2, None, "INVALID_FILE", "the file has no data rows")
    rounds = {} if log.count else group_rows(parsed, _criterion_keys(criteria, id_of), log)
    recorded = 0
    if not log.count:
        for period, entries in rounds.items():
            try:
                await record_scores(
                    session,
                    actor,
                    scorecard_id=card.id,
                    period=period,
                    held_on=None,
                    note="",
                    entries=[entry for _, entry in entries],
                    replace=replace,
                )
            except ValidationFailed as failed:
                for problem in failed.problems:
                    row, column, code = _locate(problem, entries, parsed.columns)
                    message = problem.message.removeprefix(f"{problem.field}: ")
                    log.add(row, column, code, f"{period}: {message}")
            else:
                recorded += 1
    if log.count:
        raise ScoresUploadRejected(
            ScoresUploadReport(
                rows_read=len(parsed.rows), problems=tuple(log.kept), problem_count=log.count
            )
        )
    return ScoresUploadReport(rows_read=len(parsed.rows), rounds_recorded=recorded)
