"""``officialValuesUpload``: import official reference values from a CSV file, all or nothing.

Sent as a GraphQL multipart request with an ``Apollo-Require-Preflight`` header (see
``graphql.app``). Columns: indicator (an SDG indicator or target code), area, period, value,
and optionally unit, sex, age, disability_status, urbanisation, group (empty: _T) and note.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

import strawberry
from strawberry.file_uploads import Upload

from lnob_api.auth.principal import Scope
from lnob_api.graphql.mutations import (
    FILE_CODES,
    UserError,
    calls,
    codes,
    itself,
    parts,
    refused_report,
    shown,
    uploaded,
)
from lnob_api.graphql.permissions import requires_any
from lnob_api.graphql.upload.reports import FileProblem, report_of
from lnob_api.official import service

WRITERS = [requires_any(Scope.DATA_WRITE, Scope.PARTNERSHIP_ADMIN)]


@strawberry.input(description="A CSV file of official values from one source.")
class OfficialValuesUploadInput:
    file: Upload = strawberry.field(
        description="UTF-8 CSV (comma, semicolon, tab or pipe separated), header row first: "
        "indicator, area, period, value; optional unit, sex, age, disability_status, "
        "urbanisation, group (empty cells: _T, the total) and note."
    )
    source: str = strawberry.field(
        description="The source's name, e.g. UN SDG Global Database. A value the source already "
        "has for the same indicator, area, period and dimensions is replaced."
    )
    source_url: str | None = None
    retrieved_on: date | None = strawberry.field(
        default=None, description="When the values were taken from the source. Default: today."
    )


@strawberry.enum(description="Why a row (or the whole file) of official values was refused.")
@codes(
    f"{FILE_CODES} TOO_LONG UNKNOWN_INDICATOR UNKNOWN_AREA AREA_NOT_ALLOWED INVALID_PERIOD"
    " INVALID_VALUE DUPLICATE_IN_FILE"
)
class OfficialValueProblemCode(Enum):
    pass


@strawberry.type(description="One problem found in a file of official values.")
class OfficialValueProblem(FileProblem):
    code: OfficialValueProblemCode


@strawberry.type(description="What an import of official values read, wrote or refused.")
class OfficialValuesUploadReport:
    rows_read: int = strawberry.field(description="Data rows read (blank rows not counted).")
    rows_inserted: int = strawberry.field(description="New values (0 when refused).")
    rows_updated: int = strawberry.field(description="Values of the source replaced.")
    problems: list[OfficialValueProblem] = strawberry.field(
        description="The first 1,000 problems, by row. One problem rejects the whole file."
    )
    problem_count: int
    ignored_columns: list[str] = strawberry.field(description="Columns not read.")


@strawberry.type
class OfficialValuesUploadPayload:
    report: OfficialValuesUploadReport | None = strawberry.field(
        description="Present whenever the file was examined, refused or not."
    )
    user_errors: list[UserError]


_run = parts(
    refused_report,
    report=shown(report_of(OfficialValuesUploadReport)),
)


@strawberry.type
class OfficialMutations:
    official_values_upload = calls(
        service.upload,
        OfficialValuesUploadInput,
        OfficialValuesUploadPayload,
        _run,
        permission_classes=WRITERS,
        description="Import official reference values from a CSV file, all rows or none "
        "(multipart request with the header Apollo-Require-Preflight: true). Partnership "
        "admins for any area; coalition editors for areas of their coalitions' countries.",
        args=lambda i: {"file": uploaded(i.file)},
        returns=itself,
    )
