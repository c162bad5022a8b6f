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
- SDMX (``sdmx.model.OBS_ATTRIBUTES``): a field with ``sdmx`` is an uncoded observation
  attribute, after the provenance ones. None is today: the observation status is coded
  (CL_OBS_STATUS) and the unit becomes an SDMX identifier (``sdmx.repository.sdmx_unit``).

A new plain field: its column (model and migration) and one line here.
"""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import Entity, Field

OBSERVATION = Entity(
    "Observation",
    models.Observation,
    (
        Field("area_code", "ISO 3166 code of the area, or a local area's.", csv="area"),
        Field("period", "SDMX time period: 2019, 2019-Q2, 2019-03...", csv="period"),
        Field("value", csv="value"),
        Field("unit", csv="unit"),
        Field("obs_status", csv="obs_status"),
        Field("sample_size", csv="sample_size"),
        Field("period_start"),
        Field("period_end"),
        Field("sex", "SDMX SEX code; _T for the total.", csv="sex"),
        Field("age", "SDMX AGE code; _T for the total.", csv="age"),
        Field(
            "disability_status",
            "SDMX DISABILITY_STATUS code; _T for the total.",
            csv="disability_status",
        ),
        Field("urbanisation", "SDMX URBANISATION code; _T for the total.", csv="urbanisation"),
        Field(
            "group_code",
            "Marginalised group code; _T for the total.",
            csv="group",
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
