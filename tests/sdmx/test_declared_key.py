"""The SDMX series key comes from the observation's declaration (``Field.dimension``): the
DSD's dimensions in its order, the columns SDMX 3.0 filters read, the key positions the data
queries filter by."""

from __future__ import annotations

import dataclasses

import pytest

from lnob_api.declare import Dimension
from lnob_api.declare.observation import OBSERVATION
from lnob_api.sdmx import model

# The DSD's key as published (DSD_LNOB 1.0): changing it changes every SDMX client's queries.
PUBLISHED_KEY = (
    "INDICATOR",
    "REF_AREA",
    "SEX",
    "AGE",
    "DISABILITY_STATUS",
    "URBANISATION",
    "GROUP",
)


class TestDeclaredKey:
    def test_the_key_keeps_the_published_order(self) -> None:
        assert tuple(d.id for d in model.DIMENSIONS) == PUBLISHED_KEY
        assert len(PUBLISHED_KEY) == model.KEY_LENGTH

    def test_each_declared_dimension_reads_its_own_column(self) -> None:
        # given: the declared dimensions after INDICATOR (computed)
        declared = OBSERVATION.dimensions
        # then: SDMX 3.0 filters read the field's column, for every dimension but INDICATOR
        assert set(model.KEY_COLUMNS) == set(PUBLISHED_KEY[1:])
        for f in declared:
            assert f.dimension is not None
            assert model.KEY_COLUMNS[f.dimension.id] == f.name
            assert f.name in OBSERVATION.table.c

    def test_a_dimension_with_a_filter_filters_at_its_key_position(self) -> None:
        # then: every coded disaggregation filters by the codes at its place in the key
        assert {
            f.filter.name: PUBLISHED_KEY.index(f.dimension.id)
            for f in OBSERVATION.dimensions
            if f.filter is not None and f.dimension is not None
        } == model.KEY_FILTERS
        assert sorted(model.KEY_FILTERS.values()) == [2, 3, 4, 5, 6]

    def test_a_gap_in_the_declared_positions_is_refused(self) -> None:
        # given: a declaration whose GROUP moved one place further
        moved = tuple(
            dataclasses.replace(f, dimension=Dimension(7, "GROUP", "Group", "CL_GROUP", "group"))
            if f.dimension is not None and f.dimension.id == "GROUP"
            else f
            for f in OBSERVATION.fields
        )
        entity = dataclasses.replace(OBSERVATION, fields=moved)
        # when / then
        with pytest.raises(AssertionError, match="gaps in the key"):
            model._declared_dimensions(entity)
