"""The limits declared on the fields are the ones the services enforce: until each service reads
``ENTITY.limits`` itself, its own table must say the same (a drift here is a bug)."""

from __future__ import annotations

import pytest

from lnob_api.area import service as area_service
from lnob_api.coalition import service as coalition_service
from lnob_api.declare import DESCRIPTION_MAX, Entity
from lnob_api.declare.entities import AREA, COALITION, INDICATOR, PROJECT, PUBLICATION
from lnob_api.project import service as project_service
from lnob_api.sdg import service as sdg_service


@pytest.mark.parametrize(
    ("entity", "limits"),
    [
        (COALITION, coalition_service.LIMITS),
        (PROJECT, project_service.LIMITS),
        (INDICATOR, sdg_service.LIMITS),
        (AREA, area_service.LIMITS),
    ],
    ids=lambda value: getattr(value, "name", ""),
)
def test_a_service_s_limits_are_the_declared_ones(entity: Entity, limits: dict[str, int]) -> None:
    assert entity.limits == limits


def test_the_longest_description_is_the_services() -> None:
    assert coalition_service.DESCRIPTION_MAX == DESCRIPTION_MAX


def test_each_limit_fits_its_column() -> None:
    for entity in (COALITION, PROJECT, INDICATOR, AREA, PUBLICATION):
        for name, limit in entity.limits.items():
            length = getattr(entity.table.c[name].type, "length", None)
            assert length is None or limit <= length, (entity.name, name)
