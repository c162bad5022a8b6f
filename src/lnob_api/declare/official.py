"""The declared official reference values, one line per column (see ``declare``).

The GraphQL object fields of ``OfficialValue`` come from here (``graphql.declared``); the code
of its indicator or target (``indicatorCode``), which its source computes, stays written in the
type, before them.
"""

from __future__ import annotations

from lnob_api import models
from lnob_api.declare import Entity, Field

TOTAL = "_T is the total (not disaggregated)."

OFFICIAL_VALUE = Entity(
    "OfficialValue",
    models.OfficialValue,
    (
        Field("area_code"),
        Field("period", "SDMX time period."),
        Field("period_start"),
        Field("period_end"),
        Field("value"),
        Field("unit"),
        Field("sex", TOTAL),
        Field("age", TOTAL),
        Field("disability_status", TOTAL),
        Field("urbanisation", TOTAL),
        Field("group_code", TOTAL, shown_as="group"),
        Field("source_name", "Where the value comes from.", shown_as="source"),
        Field("source_url"),
        Field("retrieved_on", "When it was taken from the source."),
        Field("note"),
        Field("updated_at"),
    ),
    description="An official reference value (a national SDG platform, the UN SDG database...) "
    "of an indicator or SDG target for an area and period. Public reference data.",
)
