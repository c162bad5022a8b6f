"""The declared observation: its plain columns once, one line each (see ``declare``).

An observation is read through the OBSERVATIONS source's scoped select (``observation.
repository``), which masks a withheld cell (value, sample size and comment null or empty) and
computes what is not a column: ``suppressed``, ``conf_status``, ``perturbed``, the code of the
indicator or target, the provenance that falls back on the dataset's. Those stay written where
they are (the GraphQL type, the CSV export, SDMX) and are left out of this declaration; the
fields here are the columns of a scoped row read as they are.

Where the fields appear:

- GraphQL (``graphql.observation.types``, ``@declared`` at its ``Declared`` marker): the public
  fields the type does not write itself (``areaCode`` ... ``updatedAt``; ``group_code`` shown
  as ``group``). It writes ``value`` (masked), ``unit``, ``obs_status`` and ``sample_size``:
  they come before ``areaCode`` in the type, while the CSV export has them after it.
- The CSV export (``export.repository.csv_columns``): every field with ``csv``, in this order,
  with the computed columns where they stand (``dataset`` and ``indicator`` first,
  ``conf_status`` after ``obs_status``, ``perturbed`` after ``updated_at``); a timestamp is
  written as ISO 8601 in UTC.
- Filters (``Filter``): the list filter spec ``observation.repository.filters`` holds the
  declared conditions (``OBSERVATION.conditions``), the GraphQL ``ObservationFilter`` input
  shows their fields (at its ``Declared`` marker) and the bulk exports read them under their
  query parameters (``export.filters``). Each value is a code, surrounding spaces ignored.
- SDMX: a field with ``dimension`` is a dimension of the series key (``sdmx.model.DIMENSIONS``,
  in its ``position``, after INDICATOR, which is computed); its filter takes the key's codes
  there (``sdmx.model.KEY_FILTERS``) and SDMX 3.0's ``c[...]`` reads its column
  (``sdmx.model.KEY_COLUMNS``). A field with ``sdmx`` is an uncoded observation attribute
  (``sdmx.model.OBS_ATTRIBUTES``), after the provenance ones. None is today: the observation
  status is coded (CL_OBS_STATUS) and the unit becomes an SDMX identifier
  (``sdmx.repository.sdmx_unit``).

A new plain field: its column (model and migration) and one line here; filterable in GraphQL
and the exports with a ``Filter`` tag (``how="member"`` and a ``parameter``), a CSV column
with ``csv``, an SDMX attribute with ``sdmx``.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from lnob_api import models
from lnob_api.declare import Dimension, Entity, Field, Filter
from lnob_api.models.observation import DIMENSION_COLUMNS

CODES = "Codes to keep; _T is the total (not disaggregated)."


def _dimension(
    name: str, code: str, parameter: str, key: Dimension, shown_as: str | None = None
) -> Field:
    """A built-in disaggregation: a ``code`` column (``_T``: the total) shown, exported and
    filtered by its name (``shown_as`` when not the column's): a CSV column, a filter by any of
    its codes in GraphQL and under the exports' query ``parameter``, and the SDMX dimension
    ``key``."""
    shown = shown_as or name
    return Field(
        name,
        f"{code} code; _T for the total.",
        csv=shown,
        filter=Filter(shown, "member", CODES, parameter),
        check=str.strip,
        shown_as=shown_as,
        dimension=key,
    )


OBSERVATION = Entity(
    "Observation",
    models.Observation,
    (
        Field(
            "area_code",
            "ISO 3166 code of the area, or a local area's.",
            csv="area",
            dimension=Dimension(1, "REF_AREA", "Reference area", "CL_AREA", "area"),
        ),
        Field("period", "SDMX time period: 2019, 2019-Q2, 2019-03...", csv="period"),
        Field("value", csv="value"),
        Field("unit", csv="unit"),
        Field("obs_status", csv="obs_status"),
        Field("sample_size", csv="sample_size"),
        Field("period_start"),
        Field("period_end"),
        _dimension("sex", "SDMX SEX", "sex", Dimension(2, "SEX", "Sex", "CL_SEX", "sex")),
        _dimension("age", "SDMX AGE", "age", Dimension(3, "AGE", "Age", "CL_AGE", "age")),
        _dimension(
            "disability_status",
            "SDMX DISABILITY_STATUS",
            "disabilityStatus",
            Dimension(
                4, "DISABILITY_STATUS", "Disability status", "CL_DISABILITY_STATUS", "disability"
            ),
        ),
        _dimension(
            "urbanisation",
            "SDMX URBANISATION",
            "urbanisation",
            Dimension(
                5, "URBANISATION", "Degree of urbanisation", "CL_URBANISATION", "urbanisation"
            ),
        ),
        _dimension(
            "group_code",
            "Marginalised group",
            "group",
            Dimension(6, "GROUP", "Marginalised group", "CL_GROUP", "group"),
            shown_as="group",
        ),
        # Free extra dimensions ({"EDUCATION_LEV": "ISCED11_1"}): the type shows them as a list.
        Field("dimensions", public=False),
        Field("comment"),
        Field("updated_at", csv="updated_at"),
    ),
    description="One value of one indicator (or one SDG target) for one area and period within "
    "a dataset.",
)


def _width(column: str) -> int:
    kind = OBSERVATION.table.c[column].type
    assert isinstance(kind, sa.String) and kind.length is not None
    return kind.length


# The text columns an uploaded file fills (upload.validate, official.reader): the unit and the
# disaggregations, by the file's field name (the CSV export's column: ``group`` for
# ``group_code``) -> column; values are checked against the columns' widths before they reach
# the table.
UPLOADED: dict[str, str] = {
    f.csv: f.name for f in OBSERVATION.csv if f.csv and f.name in ("unit", *DIMENSION_COLUMNS)
}
UPLOAD_WIDTHS: dict[str, int] = {name: _width(column) for name, column in UPLOADED.items()}

# The built-in disaggregations alone (the series of ``indicatorSeries`` are keyed by them).
DIMENSIONS = dataclasses.replace(
    OBSERVATION, fields=tuple(f for f in OBSERVATION.fields if f.name in DIMENSION_COLUMNS)
)
