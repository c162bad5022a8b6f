"""A connection site's filter values read from the filter clauses' cache key
(``params.shape_and_values``) are ``params.where_values``' values, in the same order, for
filters of one and several codes, periods, dimensions and combinations (the values read from
the filter's declared conditions off: ``tests/declare/test_condition_values.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from lnob_api.graphql.compiled import params
from lnob_api.graphql.observation.types import ObservationFilter, observation_where

FILTERS = [
    ObservationFilter(indicators=["SDG-1"]),
    ObservationFilter(indicators=["SDG-1", "SDG-2", "SDG-3"]),
    ObservationFilter(indicators=["A"], areas=["KE", "KE-30"], sex=["F", "_T"]),
    ObservationFilter(period_from="2019", period_to="2021-Q2", age=["Y15T24"]),
    ObservationFilter(targets=["10.2"], urbanisation=["U"], disability_status=["D"]),
    ObservationFilter(updated_since=dt.datetime(2024, 1, 2, tzinfo=dt.UTC), group=["g1"]),
    ObservationFilter(indicators=[], areas=[]),
]


@pytest.fixture(autouse=True)
def _from_the_key() -> Iterator[None]:
    params.DECLARED = False
    try:
        yield
    finally:
        params.DECLARED = True


def test_values_from_the_key_are_the_traversals() -> None:
    compared = 0
    for filter in FILTERS:
        where, _ = observation_where(filter)
        order = params.key_order(where)
        assert order is not None, filter
        shape, values = params.shape_and_values(where, order)
        assert shape == params.shape_of(where)
        assert values == params.where_values(where), filter
        compared += len(values or [])
    assert compared > len(FILTERS)


def test_another_request_of_the_same_shape_reads_its_own_values() -> None:
    planned, _ = observation_where(ObservationFilter(indicators=["X"], sex=["F", "M"]))
    order = params.key_order(planned)
    later, _ = observation_where(ObservationFilter(indicators=["Y"], sex=["_T", "F"]))
    shape, values = params.shape_and_values(later, order)
    assert shape == params.shape_of(planned)
    assert values == params.where_values(later)
    assert values != params.where_values(planned)


def test_off_reads_by_traversal() -> None:
    where, _ = observation_where(ObservationFilter(indicators=["X"]))
    order = params.key_order(where)
    params.VALUES_FROM_KEY = False
    try:
        assert params.shape_and_values(where, order)[1] is None
        assert params.key_order(where) is None
    finally:
        params.VALUES_FROM_KEY = True
