"""A filter's values said by its declared conditions (``Conditions.values``: no clauses built)
are the parameters of the clauses built from the same values, in ``params.binds_of`` order, for
every filter field of every list's spec and random values; one said structure is always one
SQLAlchemy shape; and a cached plan's refresh (``deferred``: the filter call gives a
``Deferred``) reads the values a freshly built statement has."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql
from tests.helpers import examples

import lnob_api
from lnob_api.declare import conditions
from lnob_api.declare.conditions import Conditions, Deferred, Where
from lnob_api.graphql.compiled import params
from lnob_api.observation import repository as observation_repo


def _specs() -> dict[str, Conditions]:
    """Every list's filter spec: the ``Conditions`` of each repository module, by name."""
    found: dict[str, Conditions] = {}
    for info in pkgutil.walk_packages(lnob_api.__path__, "lnob_api."):
        if not info.name.endswith(".repository"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, Conditions) and all(value is not v for v in found.values()):
                found[f"{info.name}.{name}"] = value
    return found


SPECS = _specs()

_code = st.text("abcKE-_T.12 ", min_size=1, max_size=8)
# The kinds of value a filter field takes (a code or words, a list of codes or ids, a number,
# an instant, a day); each condition keeps those it builds clauses from.
CANDIDATES: dict[str, st.SearchStrategy[Any]] = {
    "text": st.text("ab cK%_\\", min_size=1, max_size=12),
    "codes": st.lists(_code, max_size=4),
    "ids": st.lists(st.integers(1, 10**6), max_size=4),
    "number": st.integers(1, 10**6),
    "instant": st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
    "day": st.dates(date(2000, 1, 1), date(2030, 1, 1)),
    "period": st.sampled_from(["2019", "2019-Q2", "2020-03", "2021-S1"]),
}
PROBES: dict[str, Any] = {
    "text": "ab c",
    "codes": ["KE", "ab"],
    "ids": [1, 2],
    "number": 7,
    "instant": datetime(2024, 1, 2, tzinfo=UTC),
    "day": date(2024, 1, 2),
    "period": "2019-Q2",
}


def _built_or_none(spec: Conditions, values: dict[str, Any]) -> Where | None:
    try:
        return spec.build(values)
    except Exception:  # a malformed value (a period...): no clauses, nothing to compare
        return None


def _accepted(spec: Conditions, name: str) -> list[str]:
    """The candidate kinds whose probe value the condition builds clauses from."""
    kinds = []
    for kind, probe in PROBES.items():
        if _built_or_none(spec, {name: probe}):  # else not a value of this field
            kinds.append(kind)
    return kinds


FIELDS = [
    (label, name, kind)
    for label, spec in SPECS.items()
    for name in spec.conditions
    for kind in _accepted(spec, name)
]
# A said structure -> the SQLAlchemy shape it was first seen with (in this process).
SEEN: dict[Any, Any] = {}


def _given(spec: Conditions) -> st.SearchStrategy[dict[str, Any]]:
    fields = [(name, kind) for label, name, kind in FIELDS if SPECS[label] is spec]
    one = st.sampled_from(fields).flatmap(
        lambda f: CANDIDATES[f[1]].map(lambda value: (f[0], value))
    )
    return st.lists(one, min_size=1, max_size=4).map(dict)


def _sql(clauses: Any) -> str:
    return str(sa.and_(*clauses).compile(dialect=postgresql.dialect()))


def test_every_list_has_valued_conditions() -> None:
    assert len(SPECS) >= 8
    valued = [
        (label, name)
        for label, spec in SPECS.items()
        for name, c in spec.conditions.items()
        if isinstance(getattr(c, "condition", c), conditions.Valued)
    ]
    assert {name for _, name in valued} >= {"indicator_codes", "coalition_codes", "search"}
    assert len(FIELDS) > len(SPECS)


@pytest.mark.parametrize("label", sorted(SPECS))
def test_said_values_are_the_built_clauses_parameters(label: str) -> None:
    spec = SPECS[label]
    if not any(f[0] == label for f in FIELDS):
        pytest.skip("no field takes a candidate value")

    @settings(
        max_examples=examples(0.2, least=10),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(_given(spec), _given(spec))
    def check(planned_values: dict[str, Any], later_values: dict[str, Any]) -> None:
        planned = _built_or_none(spec, planned_values)
        later = _built_or_none(spec, later_values)
        if planned is None or later is None:
            return
        for built, values in ((planned, planned_values), (later, later_values)):
            said = spec.values(values)
            if said is None:
                continue
            structure, found = said
            # given
            own = params.where_values(built, declared=False)
            # then: the said values are the clauses' parameters, in order
            assert found == own, (label, values)
            shape = params._key_shape(built)
            assert SEEN.setdefault(structure, shape) == shape, (label, values)
        # when: a plan built from ``planned`` refreshes with ``later`` (as a site does)
        plan_shape = params.shape_of(planned)
        fresh = conditions.deferred(lambda _: spec(**later_values), None)
        fresh_shape, fresh_values = params.shape_and_values(fresh, params.key_order(planned))
        if fresh_values is None:  # not read with the shape: the site reads them (as pages does)
            fresh_values = params.where_values(fresh)
        # then: the same shape means the same statement, and the values are a fresh build's
        if fresh_shape == plan_shape:
            assert _sql(later) == _sql(planned)
            assert fresh_values == params.where_values(later, declared=False), later_values
        if isinstance(fresh, Deferred):
            assert _sql(fresh) == _sql(later)

    check()


def test_each_fields_probe_says_its_clauses_parameters() -> None:
    said = 0
    for label, name, kind in FIELDS:
        # given: one field's probe value
        spec, values = SPECS[label], {name: PROBES[kind]}
        # when
        found = spec.values(values)
        # then: what it says is what its clauses hold
        if found is not None:
            assert found[1] == params.where_values(spec.build(values), declared=False), label
            said += 1
    assert said > len(SPECS)


def test_a_changed_list_is_read_from_its_clauses() -> None:
    spec = observation_repo.filters
    where = spec(indicator_codes=["1.1.1"])
    assert isinstance(where, Where)
    assert where.declared() is not None
    # when: a select adds a clause of its own to the list it was given
    where.append(sa.true())
    # then: its values are no longer the spec's
    assert where.declared() is None
    assert params.shape_of(where) == params._key_shape(where)


def test_outside_a_refresh_a_filter_is_its_clauses() -> None:
    spec = observation_repo.filters
    assert isinstance(spec(indicator_codes=["1.1.1"]), list)
    inside: Callable[[Any], Any] = lambda _: spec(indicator_codes=["1.1.1"])  # noqa: E731
    fresh = conditions.deferred(inside, None)
    assert isinstance(fresh, Deferred)
    assert fresh.declared() is not None
    assert [*fresh, sa.true()][-1] is not None
    assert len(fresh + [sa.true()]) == len(fresh) + 1  # noqa: RUF005 - Deferred.__add__
