"""Filter inputs pass to their repository's ``filters`` by name (``graphql.passed.where``): the
WHERE clauses are those the spelled-out call gives, and an id of another type in a list is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from tests.helpers import gql

from lnob_api.access_request import repository as access_request_repo
from lnob_api.dataset import repository as dataset_repo
from lnob_api.graphql.access_request.queries import AccessRequestFilter, _access_requests
from lnob_api.graphql.dataset.queries import DatasetFilter, _datasets
from lnob_api.graphql.enums import DatasetStatus
from lnob_api.graphql.observation.types import ObservationFilter, observation_where
from lnob_api.graphql.recommendation.queries import RecommendationFilter, _recommendations
from lnob_api.graphql.scorecard.queries import ScorecardFilter, _scorecards
from lnob_api.models import AccessRequestStatus
from lnob_api.models.evidence import AuthorityLevel, RecommendationStatus
from lnob_api.models.provenance import ProducerType, ProvenanceMethod
from lnob_api.observation import repository as observation_repo
from lnob_api.recommendation import repository as recommendation_repo
from lnob_api.scorecard import repository as scorecard_repo


def _sql(where: list[ColumnElement[bool]]) -> list[str]:
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    return [str(c.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) for c in where]


def test_observation_filter_passes_every_field() -> None:
    since = datetime(2024, 1, 2, tzinfo=UTC)
    given = ObservationFilter(
        indicators=["1.1.1"],
        targets=["10.2"],
        areas=["KE"],
        period_from="2019",
        period_to="2020",
        sex=["F"],
        age=["Y15T24"],
        disability_status=["PD"],
        urbanisation=["U"],
        group=["PWD"],
        updated_since=since,
        producer_types=[ProducerType.OFFICIAL],
        methods=[ProvenanceMethod.HOUSEHOLD_SURVEY],
        washington_group=False,
        meets_criteria=["Q1"],
    )
    spelled = observation_repo.filters(
        indicator_codes=["1.1.1"],
        target_codes=["10.2"],
        area_codes=["KE"],
        period_from="2019",
        period_to="2020",
        sex=["F"],
        age=["Y15T24"],
        disability_status=["PD"],
        urbanisation=["U"],
        group=["PWD"],
        updated_since=since,
        producer_types=["OFFICIAL"],
        methods=["HOUSEHOLD_SURVEY"],
        washington_group=False,
        meets_criteria=["Q1"],
    )
    where, _key = observation_where(given)
    assert len(where) == len(spelled) > 10
    assert _sql(where) == _sql(spelled)


def test_enum_fields_pass_as_their_values() -> None:
    given = RecommendationFilter(
        coalition="KE",
        status=RecommendationStatus.OPEN,
        target="3.8",
        authority="health",
        authority_level=AuthorityLevel.NATIONAL,
    )
    spelled = recommendation_repo.filters(
        coalition_code="KE",
        status=RecommendationStatus.OPEN.value,
        target_code="3.8",
        authority="health",
        authority_level=AuthorityLevel.NATIONAL.value,
    )
    assert _sql(_recommendations(given).where) == _sql(spelled)
    datasets = _datasets(DatasetFilter(statuses=[DatasetStatus.PUBLISHED], coalitions=["KE"]))
    assert _sql(datasets.where) == _sql(
        dataset_repo.filters(statuses=[DatasetStatus.PUBLISHED.value], coalition_codes=["KE"])
    )


def test_spelled_arguments_join_the_named_ones() -> None:
    given = ScorecardFilter(coalition="KE", area="KE-30", service="clinic", project=None)
    spelled = scorecard_repo.filters(coalition_code="KE", area_code="KE-30", service="clinic")
    assert _sql(_scorecards(given).where) == _sql(spelled)
    assert _sql(_scorecards(None).where) == _sql(scorecard_repo.filters()) == []
    requests = _access_requests(AccessRequestFilter(status=AccessRequestStatus.PENDING))
    assert _sql(requests.where) == _sql(access_request_repo.filters(status="PENDING"))
    assert len(requests.where) == 1


OBSERVATIONS = """
query($filter: ObservationFilter) { observations(filter: $filter, first: 5) { totalCount } }
"""
DATASETS = """
query($filter: DatasetFilter) { datasets(filter: $filter, first: 5) { totalCount } }
"""


@pytest.mark.parametrize(
    ("query", "filter", "field", "message"),
    [
        (OBSERVATIONS, {"datasets": ["UHJvamVjdDox"]}, "filter.datasets", "is not a dataset id"),
        (DATASETS, {"projects": ["RGF0YXNldDox"]}, "filter.projects", "is not a project id"),
    ],
)
async def test_an_id_of_another_type_in_a_list_is_invalid(
    client: httpx.AsyncClient, query: str, filter: dict[str, list[str]], field: str, message: str
) -> None:
    body = await gql(client, query, {"filter": filter})
    (error,) = body["errors"]
    assert error["message"].startswith(f"{field}: ")
    assert message in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
