"""The declared limits fit their columns (the services read ``ENTITY.limits``: their
enforcement is tested through GraphQL in tests/declare/test_editable_round_trip.py)."""

from __future__ import annotations

from lnob_api.coalition import service as coalition_service
from lnob_api.declare import DESCRIPTION_MAX
from lnob_api.declare.entities import (
    ACCESS_REQUEST,
    AREA,
    COALITION,
    DATASET,
    INDICATOR,
    ORGANISATION,
    PROJECT,
    PUBLICATION,
)
from lnob_api.declare.statistics import RECOMMENDATION, SCORECARD

LIMITED = (
    COALITION,
    PROJECT,
    INDICATOR,
    AREA,
    PUBLICATION,
    ORGANISATION,
    DATASET,
    ACCESS_REQUEST,
    SCORECARD,
    RECOMMENDATION,
)


def test_the_longest_description_is_the_services() -> None:
    assert coalition_service.DESCRIPTION_MAX == DESCRIPTION_MAX


def test_each_limit_fits_its_column() -> None:
    for entity in LIMITED:
        assert entity.limits, entity.name
        for name, limit in entity.limits.items():
            length = getattr(entity.table.c[name].type, "length", None)
            assert length is None or limit <= length, (entity.name, name)
