"""Every declared entity's list filter reads its ``Filter`` tags (issue 11): the repository's
spec holds the declared conditions, the GraphQL filter input shows their fields after its own,
and the list passes them on by name (``graphql.passed.where``); a filter added to a copy of the
declaration is an input field and a condition without another line."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import strawberry
from sqlalchemy.dialects import postgresql

from lnob_api.access_request import repository as access_request_repo
from lnob_api.area import repository as area_repo
from lnob_api.audit import repository as audit_repo
from lnob_api.declare import Entity, Filter
from lnob_api.declare.conditions import Conditions
from lnob_api.declare.entities import ACCESS_REQUEST, AREA, INDICATOR, PROJECT
from lnob_api.declare.more import AUDIT_EVENT
from lnob_api.declare.official import OFFICIAL_VALUE
from lnob_api.declare.statistics import RECOMMENDATION, SCORECARD
from lnob_api.graphql import passed
from lnob_api.graphql.access_request.queries import AccessRequestFilter
from lnob_api.graphql.area.queries import AreaFilter
from lnob_api.graphql.audit.queries import AuditEventFilter
from lnob_api.graphql.declared import filters
from lnob_api.graphql.official.queries import OfficialValueFilter
from lnob_api.graphql.project.queries import ProjectFilter
from lnob_api.graphql.recommendation.queries import RecommendationFilter
from lnob_api.graphql.scorecard.queries import ScorecardFilter
from lnob_api.graphql.sdg.queries import IndicatorFilter
from lnob_api.official import repository as official_repo
from lnob_api.project import repository as project_repo
from lnob_api.recommendation import repository as recommendation_repo
from lnob_api.scorecard import repository as scorecard_repo
from lnob_api.sdg import repository as sdg_repo

# Each list: its entity, its GraphQL filter input, its repository's spec.
LISTS = {
    "projects": (PROJECT, ProjectFilter, project_repo.filters),
    "areas": (AREA, AreaFilter, area_repo.filters),
    "indicators": (INDICATOR, IndicatorFilter, sdg_repo.indicator_filters),
    "scorecards": (SCORECARD, ScorecardFilter, scorecard_repo.filters),
    "recommendations": (RECOMMENDATION, RecommendationFilter, recommendation_repo.filters),
    "accessRequests": (ACCESS_REQUEST, AccessRequestFilter, access_request_repo.filters),
    "auditEvents": (AUDIT_EVENT, AuditEventFilter, audit_repo.filters),
    "officialValues": (OFFICIAL_VALUE, OfficialValueFilter, official_repo.filters),
}
PROBE = Filter("probes", "member", "Probe values, any of them.")


def _sql(clauses: list[Any]) -> list[str]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [
        str(c.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for c in clauses
    ]


def _names(input: type) -> list[str]:
    return [f.python_name for f in input.__strawberry_definition__.fields]  # type: ignore[attr-defined]


def _tagged(entity: Entity) -> tuple[Entity, str]:
    """A copy of ``entity`` whose first text field not filtered yet filters by ``PROBE``."""
    name = next(
        f.name
        for f in entity.fields
        if f.filter is None and entity.types[f.name] in (str, str | None)
    )
    fields = tuple(
        dataclasses.replace(f, filter=PROBE) if f.name == name else f for f in entity.fields
    )
    return dataclasses.replace(entity, fields=fields), name


@pytest.mark.parametrize("list_name", LISTS)
def test_the_list_reads_its_entitys_declared_filters(list_name: str) -> None:
    entity, input, spec = LISTS[list_name]
    declared = entity.conditions.conditions
    # the spec holds the declared conditions themselves, under the input's field names
    assert all(spec.conditions[n] is c for n, c in declared.items())
    # the input shows them after its own fields, and every one of its fields passes by name
    inputs = [n for f in entity.filters if f.filter for n in f.filter.inputs]
    names = _names(input)
    assert names[len(names) - len(inputs) :] == inputs
    passes = passed.by_name(spec, input)
    assert set(inputs) <= set(passes.values())
    assert all(passes[n] == n for n in declared)


@pytest.mark.parametrize("list_name", LISTS)
def test_a_filter_tag_on_a_copy_is_an_input_field_and_a_condition(list_name: str) -> None:
    entity, input, spec = LISTS[list_name]
    copy, column = _tagged(entity)

    # the input: the own fields, then the copy's declared ones
    @strawberry.input(name=f"Probe{input.__name__}")
    @filters(copy)
    class Probe:
        own: int | None = None

    assert _names(Probe) == ["own", *[n for f in copy.filters if f.filter for n in f.filter.inputs]]
    printed = str(strawberry.Schema(query=_query(Probe)))
    assert '  """Probe values, any of them."""\n  probes: [String!] = null' in printed
    # the spec, built as the repository builds it (its own conditions, then the declared ones)
    own = {n: c for n, c in spec.conditions.items() if n not in entity.conditions.conditions}
    probed = Conditions(**own, **copy.conditions.conditions)
    assert "probes" in passed.by_name(probed, Probe).values()
    # the list's call: the input's value reaches the condition on the field's column
    where = passed.where(probed, Probe)(Probe(probes=["a", "b"]))  # type: ignore[call-arg]
    table = entity.table.name
    assert _sql(where) == [f"{table}.{column} IN ('a', 'b')"]
    assert passed.where(probed, Probe)(Probe()) == []


def _query(probe: type) -> type:
    """A query type with one field taking ``filter: probe``."""

    def resolve(filter: Any = None) -> int:
        return 0

    resolve.__annotations__ = {"filter": probe | None, "return": int}
    return strawberry.type(type("Query", (), {"probe": strawberry.field(resolver=resolve)}))
