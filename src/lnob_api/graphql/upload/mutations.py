"""``observationsUpload``: load a CSV or XLSX survey export into a draft dataset version.

Sent as a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec)
with an ``Apollo-Require-Preflight`` header (see ``graphql.app``). The column mapping is
documented in ``lnob_api.upload.mapping``.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from lnob_api.dataset import repository as dataset_repo
from lnob_api.graphql.context import Info
from lnob_api.graphql.dataset.types import Dataset
from lnob_api.graphql.ids_input import pk_of
from lnob_api.graphql.mutations import (
    WRITE,
    UserError,
    codes,
    parts,
    refused_report,
    row,
    shown,
    uploaded,
    writes,
)
from lnob_api.graphql.mutations import actor as _actor
from lnob_api.graphql.observation.types import DisclosureWarning
from lnob_api.graphql.upload.reports import FileProblem, report_of
from lnob_api.upload import service
from lnob_api.upload.mapping import FIELDS, ColumnMapping


def _column(default: str) -> Any:
    return strawberry.field(
        default=None, description=f"Column holding it. Default: the first of {default}."
    )


@strawberry.input(
    description="Which column of the file holds what. Header names match case-insensitively, "
    "spaces count as underscores, and KoboToolbox (group/name) and ODK Central (group-name) "
    "group prefixes are stripped; export metadata columns (_id, _uuid, _submission_time, "
    "meta/instanceID, KEY, SubmissionDate, ...) are ignored. Omitted fields use the defaults "
    "below."
)
class ObservationMappingInput:
    indicator: str | None = strawberry.field(
        default=None,
        description="Column holding the indicator code: an SDG code (1.1.1) or one of the "
        "coalition's custom codes (KE-C-0001). Default: indicator, indicator_code, "
        "sdg_indicator.",
    )
    indicator_code: str | None = strawberry.field(
        default=None,
        description="The indicator of rows without one (a file about a single indicator).",
    )
    area: str | None = strawberry.field(
        default=None,
        description="Column holding the area code (KE-30) or area name (Nairobi), names matched "
        "case-insensitively within the coalition's country; a name shared by several areas is "
        "refused. Default: area, area_code, area_name, location, geo_area.",
    )
    period: str | None = strawberry.field(
        default=None,
        description="Column holding the SDMX period (2019, 2019-S1, 2019-Q2, 2019-03, "
        "2019-03-15, 2019-W07). Default: period, time_period, year.",
    )
    value: str | None = strawberry.field(
        default=None,
        description="Column holding the numeric value; empty only with obsStatus M or O. "
        "Default: value, obs_value.",
    )
    unit: str | None = _column("unit, unit_measure")
    sample_size: str | None = strawberry.field(
        default=None,
        description="Column holding the sample size, a whole number of 0 or more. Default: "
        "sample_size, sample, n.",
    )
    obs_status: str | None = strawberry.field(
        default=None,
        description="Column holding the SDMX observation status (A, B, E, F, I, M, O, P; empty "
        "means A). Default: obs_status, observation_status.",
    )
    comment: str | None = _column("comment, comments, note")
    sex: str | None = _column("sex (empty cells mean _T, the total)")
    age: str | None = _column("age, age_group (empty: _T)")
    disability_status: str | None = _column("disability_status, disability (empty: _T)")
    urbanisation: str | None = _column("urbanisation, urbanization, urban_rural (empty: _T)")
    group: str | None = _column("group, group_code, marginalised_group (empty: _T)")
    dimensions: list[str] | None = strawberry.field(
        default=None,
        description="Columns holding extra dimensions, stored under the column name in upper "
        "case (education_lev -> EDUCATION_LEV); empty cells leave the key out.",
    )
    sheet: str | None = strawberry.field(
        default=None, description="XLSX worksheet to read. Default: the first one."
    )


@strawberry.input(description="A file of observations for a draft dataset version.")
class ObservationsUploadInput:
    dataset_id: strawberry.ID = strawberry.field(description="The draft dataset version.")
    file: Upload = strawberry.field(
        description="CSV (UTF-8; comma, semicolon, tab or pipe separated) or XLSX, one "
        "observation per row after the header row."
    )
    mapping: ObservationMappingInput | None = strawberry.field(
        default=None, description="Which column holds what; omitted: the defaults."
    )
    replace: bool = strawberry.field(
        default=False,
        description="Delete the version's observations first (in the same transaction).",
    )


@strawberry.enum(description="Why a row (or the whole file) cannot be loaded.")
@codes(
    "INVALID_FILE MISSING_COLUMN AMBIGUOUS_COLUMN INVALID_COLUMN REQUIRED TOO_LONG INVALID_CODE"
    " UNKNOWN_INDICATOR UNKNOWN_AREA AMBIGUOUS_AREA INVALID_PERIOD INVALID_VALUE MISSING_VALUE"
    " INVALID_SAMPLE_SIZE INVALID_OBS_STATUS DUPLICATE_IN_FILE DUPLICATE_OF_EXISTING INVALID_UNIT"
)
class UploadProblemCode(Enum):
    pass


@strawberry.type(description="One problem found in an uploaded file.")
class UploadProblem(FileProblem):
    row: int = strawberry.field(
        description="Row number as a spreadsheet shows it: the header is row 1."
    )
    code: UploadProblemCode


@strawberry.type(description="What an upload read, wrote or refused.")
class ObservationsUploadReport:
    rows_read: int = strawberry.field(description="Data rows read (blank rows not counted).")
    rows_written: int = strawberry.field(description="Observations written (0 when refused).")
    duplicate_of_previous_upload: bool = strawberry.field(
        description="The same content (SHA-256) was already loaded into this dataset version: "
        "nothing changed."
    )
    sha256: str = strawberry.field(description="Hex SHA-256 of the file.")
    problems: list[UploadProblem] = strawberry.field(
        description="The first 1,000 problems, by row. One problem rejects the whole file."
    )
    problem_count: int = strawberry.field(description="How many problems in all.")
    ignored_columns: list[str] = strawberry.field(
        description="Columns neither mapped nor known as export metadata: not loaded."
    )
    observations_replaced: int = strawberry.field(
        description="Observations deleted first because of replace."
    )
    warnings: list[DisclosureWarning] = strawberry.field(
        description="About rows written all the same: e.g. rates or means without a sample "
        "size (UNPROTECTABLE), which outsiders will not see."
    )


@strawberry.type
class ObservationsUploadPayload:
    dataset: Dataset | None = strawberry.field(description="The dataset after the upload.")
    report: ObservationsUploadReport | None = strawberry.field(
        description="Present whenever the file was examined, refused or not."
    )
    user_errors: list[UserError]


def _mapping(given: ObservationMappingInput | None) -> ColumnMapping:
    if given is None:
        return ColumnMapping()
    columns = {name: getattr(given, name) for name in FIELDS if getattr(given, name)}
    return ColumnMapping(
        columns=columns,
        indicator_code=given.indicator_code or None,
        dimensions=tuple(given.dimensions or ()),
        sheet=given.sheet or None,
    )


_run = parts(
    refused_report,
    dataset=row(dataset_repo.DATASET_BY_ID, Dataset),
    report=shown(report_of(ObservationsUploadReport)),
)


@strawberry.type
class UploadMutations:
    @writes(
        ObservationsUploadPayload,
        _run,
        permission_classes=WRITE,
        description="Load observations from a CSV or XLSX file (KoboToolbox and ODK Central "
        "exports read as they are) into a draft dataset version: all rows or none. Send it as "
        "a GraphQL multipart request with the header Apollo-Require-Preflight: true. Uploading "
        "the same file again changes nothing. Editors of the dataset's coalition.",
    )
    async def observations_upload(
        self, info: Info, input: ObservationsUploadInput, session: AsyncSession
    ) -> dict[str, Any]:
        dataset_id = pk_of(input.dataset_id, "Dataset", "datasetId")
        report = await service.upload(
            session,
            _actor(info),
            dataset_id=dataset_id,
            file=uploaded(input.file),
            filename=str(getattr(input.file, "filename", "") or ""),
            mapping=_mapping(input.mapping),
            replace=input.replace,
        )
        return {"dataset": dataset_id, "report": report}
