"""The observation's declared filters (``Filter`` tags of declare.observation) are read by every
path: the filter spec (observation.repository.filters) holds their conditions, GraphQL's
ObservationFilter shows their fields, the exports take their parameters; a filter added to a
copy of the declaration is a condition, an input field and a parameter without another line."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import strawberry
from sqlalchemy.dialects import postgresql

from lnob_api.declare import Field, Filter
from lnob_api.declare.observation import CODES, OBSERVATION
from lnob_api.export import filters as export_filters
from lnob_api.export import repository as export_repo
from lnob_api.graphql.declared import Declared, filters
from lnob_api.graphql.observation.types import ObservationFilter, observation_where
from lnob_api.graphql.series.types import KEY, Series, SeriesDimensionsInput
from lnob_api.observation import repository as observation_repo

DIMENSIONS = {
    "sex": "sex",
    "age": "age",
    "disability_status": "disabilityStatus",
    "urbanisation": "urbanisation",
    "group": "group",
}
UNIT = Field("unit", csv="unit", filter=Filter("units", "member", "Units.", "unit"))
WITH_UNIT = dataclasses.replace(
    OBSERVATION, fields=tuple(UNIT if f.name == "unit" else f for f in OBSERVATION.fields)
)


def _sql(clauses: list[Any]) -> list[str]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [
        str(c.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for c in clauses
    ]


def test_the_spec_holds_the_declared_conditions_under_their_parameters() -> None:
    declared = OBSERVATION.conditions.parameters
    assert declared == {p: n for n, p in DIMENSIONS.items()}
    assert declared.items() <= observation_repo.filters.parameters.items()
    for name in DIMENSIONS:
        assert observation_repo.filters.conditions[name] is OBSERVATION.conditions.conditions[name]


def test_the_graphql_filter_shows_the_declared_fields_where_they_stood() -> None:
    fields = ObservationFilter.__strawberry_definition__.fields  # type: ignore[attr-defined]
    names = [f.python_name for f in fields]
    start = names.index("datasets") + 1
    assert names[start : start + len(DIMENSIONS)] == list(DIMENSIONS)
    assert names[start + len(DIMENSIONS)] == "updated_since"
    described = {f.python_name: f.description for f in fields}
    assert all(described[name] == CODES for name in DIMENSIONS)


def test_codes_are_kept_without_surrounding_spaces_on_every_path() -> None:
    parsed = export_filters.parse_filter({"sex": [" F , M"], "group": ["PWD"]})
    assert parsed.observed == (("sex", ("F", "M")), ("group", ("PWD",)))
    exported = observation_repo.filters.exported(dict(parsed.observed))
    where, _ = observation_where(ObservationFilter(sex=[" F", "M "], group=["PWD"]))
    expected = ["observations.sex IN ('F', 'M')", "observations.group_code IN ('PWD')"]
    assert _sql(exported) == _sql(where) == expected


def test_the_export_parameters_stay_in_their_order() -> None:
    start = export_filters.PARAMETERS.index("dataset") + 1
    assert export_filters.PARAMETERS[start : start + len(DIMENSIONS)] == tuple(DIMENSIONS.values())
    assert export_filters.PARAMETERS[start + len(DIMENSIONS)] == "updatedSince"


def test_the_series_key_and_dimensions_are_the_declared_ones() -> None:
    # indicatorSeries: its rows' keys fill Series' declared fields in order, and its
    # dimensions input is the declared dimension filters
    assert tuple(f.name for f in KEY.fields) == export_repo.SERIES_KEY
    shown = [f.python_name for f in Series.__strawberry_definition__.fields]  # type: ignore[attr-defined]
    assert shown == [*export_repo.SERIES_KEY, "points"]
    given = SeriesDimensionsInput.__strawberry_definition__.fields  # type: ignore[attr-defined]
    assert [f.python_name for f in given] == list(DIMENSIONS)


@strawberry.input
@filters(WITH_UNIT)
class ProbeFilter:
    """A filter input of the copy's declared filters, after its own field."""

    own: int | None = None
    declared: ClassVar[Declared]


def test_a_filter_added_to_a_copy_is_a_condition_a_field_and_a_parameter() -> None:
    # the spec: a condition under the filter's name, exported under its parameter
    assert WITH_UNIT.conditions.parameters["unit"] == "units"
    clauses = WITH_UNIT.conditions.exported({"unit": ["kg"]})
    assert _sql(clauses) == ["observations.unit IN ('kg')"]
    # the exports: its parameter's values, read from the declaration
    assert export_filters.declared_values({"unit": ["kg,%"]}, WITH_UNIT) == (("unit", ("kg", "%")),)
    assert export_filters.declared_values({"unit": ["kg"]}, OBSERVATION) == ()
    # GraphQL: a list field of the filter input, in declaration order, after the input's own
    fields = ProbeFilter.__strawberry_definition__.fields  # type: ignore[attr-defined]
    assert [f.python_name for f in fields] == ["own", "units", *DIMENSIONS]
    printed = str(strawberry.Schema(query=_ProbeQuery))
    assert '  """Units."""\n  units: [String!] = null' in printed


@strawberry.type
class _ProbeQuery:
    @strawberry.field
    def probe(self, filter: ProbeFilter | None = None) -> int:
        return 0
