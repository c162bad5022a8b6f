"""Areas: countries, ISO 3166-2 subdivisions and coalitions' local areas (public reference data).

Areas are keyed by their code (``KE``, ``KE-30``, ``BD-13``, a local ``KE-30-W001``). Local
areas are registered by a coalition under a subdivision; they carry no visibility of their own,
since an area name reveals nothing about the community data collected there.
"""

from __future__ import annotations

from lnob_api.declare.conditions import Conditions, equal, words
from lnob_api.declare.entities import AREA
from lnob_api.models.tables import areas
from lnob_api.read.relations import Source, ToMany, ToOne, order_by, public

AREAS = Source("Area", areas, public(areas), order_by(areas, "code"), key="code")
AREA_BY_CODE = ToOne(AREAS, key="code")
AREAS_BY_PARENT = ToMany(AREAS, "parent_code")
# Only local areas have an owning coalition (a CHECK constraint on the table says so).
AREAS_BY_COALITION = ToMany(AREAS, "coalition_id")


def normalize_code(code: str) -> str:
    """Area codes are stored upper-case; accept ``ke-30`` as well as ``KE-30``."""
    return code.strip().upper()


# The ``areas`` list filter (all given conditions must hold).
filters = Conditions(
    country=equal(areas.c.country_code, normalize_code),
    level=equal(areas.c.level),
    parent=equal(areas.c.parent_code, normalize_code),
    search=words(areas.c.name),
    **AREA.conditions.conditions,
)
