"""One filter vocabulary: every bulk export filter parameter (CSV export, SDMX key and
parameters, the series read) is the condition of the same filter spec (declare.conditions)
that GraphQL's filter input field of the same meaning reads, and gives the same SQL (compiled
with literal values); drift between them fails here. Datasets and observations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection
from tests import factories as f

from lnob_api.auth.principal import Principal
from lnob_api.dataset import repository as dataset_repo
from lnob_api.declare.entities import DATASET
from lnob_api.export import filters as export_filters
from lnob_api.export import repository as export_repo
from lnob_api.export import service as export_service
from lnob_api.graphql import passed
from lnob_api.graphql.dataset.queries import DatasetFilter, _datasets
from lnob_api.graphql.ids import to_global_id
from lnob_api.graphql.observation.types import ObservationFilter, observation_where
from lnob_api.models.provenance import ProducerType, ProvenanceMethod
from lnob_api.observation import repository as observation_repo
from lnob_api.provenance import repository as provenance_repo
from lnob_api.sdg.repository import indicator_filters
from lnob_api.sdmx import service as sdmx_service
from lnob_api.sdmx.query import DataParams
from lnob_api.sdmx.service import Flow

SPEC = observation_repo.filters
# What observation_where spells out beside the input (the rest passes by name).
SPELLED = {"dataset_ids": "datasets"}
# Export parameters that are no condition on the observations' own filter spec.
NOT_CONDITIONS = {"labels", "asOf", *DATASET.parameters}


def _sql(clauses: list[Any]) -> list[str]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [
        str(c.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for c in clauses
    ]


def _graphql_field(condition: str) -> str:
    by_name = {**passed.by_name(SPEC, ObservationFilter), **SPELLED}
    return by_name[condition]


def test_every_export_parameter_is_a_condition_of_the_spec_and_a_graphql_field() -> None:
    conditions = set(export_filters.PARAMETERS) - NOT_CONDITIONS
    assert conditions == set(SPEC.parameters)
    graphql_fields = {f.python_name for f in ObservationFilter.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    for parameter, condition in SPEC.parameters.items():
        assert _graphql_field(condition) in graphql_fields, parameter


async def _samples(conn: AsyncConnection) -> dict[str, tuple[str, Any]]:
    """parameter -> (the query parameter's value, the GraphQL filter field's value)."""
    coalition = await f.create_coalition(conn)
    dataset = await f.create_dataset(conn, coalition)
    codes = list(
        (await conn.execute(sa.text("SELECT code FROM indicators ORDER BY code LIMIT 2"))).scalars()
    )
    return {
        "indicator": (",".join(codes), codes),
        "target": ("1.1, 1.a", ["1.1", "1.a"]),
        "area": ("ke", ["ke"]),
        "periodFrom": ("2019", "2019"),
        "periodTo": ("2020-Q2", "2020-Q2"),
        "dataset": (dataset["slug"], [to_global_id("Dataset", dataset["id"])]),
        "sex": ("F,M", ["F", "M"]),
        "age": ("Y15T24", ["Y15T24"]),
        "disabilityStatus": ("DIS,_T", ["DIS", "_T"]),
        "urbanisation": ("U", ["U"]),
        "group": ("G1", ["G1"]),
        "updatedSince": ("2024-05-01T00:00:00Z", datetime(2024, 5, 1, tzinfo=UTC)),
        "producerType": (
            "COMMUNITY_DRIVEN,OFFICIAL",
            [ProducerType.COMMUNITY_DRIVEN, ProducerType.OFFICIAL],
        ),
        "method": ("HOUSEHOLD_SURVEY", [ProvenanceMethod.HOUSEHOLD_SURVEY]),
        "washingtonGroup": ("false", False),
        "meetsCriteria": ("Q1", ["Q1"]),
    }


async def test_each_export_parameter_gives_the_clause_of_the_graphql_field(
    conn: AsyncConnection,
) -> None:
    samples = await _samples(conn)
    assert set(samples) == set(SPEC.parameters)
    for parameter, (raw, given) in samples.items():
        parsed = export_filters.parse_filter({parameter: [raw]})
        resolved = await export_service.resolve(conn, Principal(), parsed)
        graphql = ObservationFilter(**{_graphql_field(SPEC.parameters[parameter]): given})
        where, _ = observation_where(graphql)
        assert resolved.where, parameter
        assert _sql(resolved.where) == _sql(where), parameter


async def test_the_series_read_gives_the_clauses_of_the_graphql_fields(
    conn: AsyncConnection,
) -> None:
    # indicator_series (SDMX-like series of one indicator) reads the same spec by name
    samples = await _samples(conn)
    code = samples["indicator"][1][0]
    by_name = observation_repo.filters(
        indicator_codes=[code], area_codes=["KE"], period_from="2019", sex=["F"]
    )
    graphql = ObservationFilter(indicators=[code], areas=["KE"], period_from="2019", sex=["F"])
    assert _sql(by_name) == _sql(observation_where(graphql)[0])


def test_the_dataset_parameters_give_the_clauses_of_the_graphql_fields() -> None:
    # the export parameter ``language`` and DatasetFilter.languages: one condition of the
    # datasets' filter spec (declared: DATASET.conditions)
    assert (
        dataset_repo.filters.parameters
        == DATASET.conditions.parameters
        == {"language": "languages"}
    )
    assert set(DATASET.parameters) <= set(export_filters.PARAMETERS)
    for parameter, condition in dataset_repo.filters.parameters.items():
        parsed = export_filters.parse_filter({parameter: ["en,sw-ke"]})
        exported = export_repo.declared_filters(dict(parsed.declared))
        graphql = _datasets(DatasetFilter(**{condition: ["en", "sw-ke"]})).where
        assert graphql and _sql(DATASET.where(dict(parsed.declared), export=True)) == _sql(
            graphql
        ), parameter
        # the export keeps the observations of exactly those datasets
        expected = export_repo.observations.c.dataset_id.in_(
            sa.select(export_repo.datasets.c.id).where(*graphql)
        )
        assert _sql(exported) == _sql([expected])


def test_the_dataset_spec_holds_its_own_the_provenance_and_the_declared_filters() -> None:
    # one object: what DatasetFilter gives passes to it by name (no second reading)
    passes = passed.by_name(dataset_repo.filters, DatasetFilter)
    fields = {f.python_name for f in DatasetFilter.__strawberry_definition__.fields}  # type: ignore[attr-defined]
    assert fields - set(passes.values()) == {"projects"}  # spelled: decoded project ids
    given = DatasetFilter(washington_group=False, languages=["sw-ke"], meets_criteria=["Q1"])
    assert _sql(_datasets(given).where) == _sql(
        provenance_repo.dataset_filters(washington_group=False, meets_criteria=["Q1"])
        + DATASET.where({"languages": ["sw-KE"]})
    )


def test_an_unknown_parameter_is_refused_by_the_spec() -> None:
    with pytest.raises(TypeError, match="no such parameter: colour"):
        SPEC.exported({"colour": ["red"]})


def test_the_indicators_coalition_filter_ignores_surrounding_spaces_as_the_others_do() -> None:
    # coalitionCode elsewhere (declare.conditions.coalition_coded): case and spaces ignored
    assert _sql(indicator_filters(coalition=" ke ")) == _sql(indicator_filters(coalition="KE"))
    assert "coalitions.code = 'KE'" in _sql(indicator_filters(coalition=" ke "))[0]


async def test_the_sdmx_key_and_parameters_give_the_clauses_of_the_graphql_fields(
    conn: AsyncConnection,
) -> None:
    # SDMX reads the same spec by name: INDICATOR, SEX, AGE, DISABILITY_STATUS,
    # URBANISATION, GROUP of the key, startPeriod, endPeriod, updatedAfter. (REF_AREA and
    # dataset mean something else there: the exact area, a lineage.)
    coalition = await f.create_coalition(conn)
    codes = list(
        (await conn.execute(sa.text("SELECT code FROM indicators ORDER BY code LIMIT 2"))).scalars()
    )
    since = datetime(2024, 5, 1, tzinfo=UTC)
    key: list[tuple[str, ...] | None] = [
        tuple(c.replace(".", "_") for c in codes),
        None,
        ("F", "M"),
        ("Y15T24",),
        ("DIS",),
        ("U",),
        ("G1",),
    ]
    params = DataParams("2019", "2020-Q2", since, "TIME_PERIOD", "full", None, None)
    flow = Flow("X", coalition["id"], "name", "description")
    data = await sdmx_service.resolve_data(conn, Principal(), flow, key, params)
    in_coalition, *selected = data.resolved.where
    assert _sql([in_coalition]) == _sql([export_repo.in_coalition(coalition["id"])])
    graphql = ObservationFilter(
        indicators=codes,
        period_from="2019",
        period_to="2020-Q2",
        sex=["F", "M"],
        age=["Y15T24"],
        disability_status=["DIS"],
        urbanisation=["U"],
        group=["G1"],
        updated_since=since,
    )
    assert _sql(selected) == _sql(observation_where(graphql)[0])
