"""A dataset's provenance in the service layer, and the effective-provenance SQL filters."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from tests import factories as f

from lnob_api import models
from lnob_api.errors import InvalidInput
from lnob_api.models.enums import Methodology
from lnob_api.models.provenance import ProducerType, ProvenanceMethod
from lnob_api.provenance import dataset as dataset_provenance
from lnob_api.provenance import repository as repo
from lnob_api.provenance.dataset import ProvenanceChange

observations = models.Observation.__table__


def _new(methodology: Methodology) -> models.Dataset:
    return models.Dataset(coalition_id=1, slug="s", title="t", methodology=methodology)


class TestApply:
    @pytest.mark.parametrize(
        ("methodology", "method"),
        [
            (Methodology.FOCUS_GROUP, ProvenanceMethod.FOCUS_GROUP),
            (Methodology.ADMINISTRATIVE_DATA, ProvenanceMethod.ADMINISTRATIVE),
            (Methodology.MIXED, None),
            (Methodology.OTHER, None),
        ],
    )
    def test_a_new_dataset_takes_its_methodology(
        self, methodology: Methodology, method: ProvenanceMethod | None
    ) -> None:
        dataset = _new(methodology)
        dataset_provenance.apply(dataset, None, creating=True)
        assert dataset.method == method
        assert dataset.producer_type is None

    def test_a_given_method_wins_even_when_null(self) -> None:
        dataset = _new(Methodology.FOCUS_GROUP)
        dataset_provenance.apply(dataset, ProvenanceChange({"method": None}), creating=True)
        assert dataset.method is None

    def test_an_update_leaves_the_method(self) -> None:
        dataset = _new(Methodology.FOCUS_GROUP)
        dataset.method = ProvenanceMethod.OTHER
        dataset_provenance.apply(
            dataset, ProvenanceChange({"producer_type": ProducerType.OFFICIAL}), creating=False
        )
        assert (dataset.method, dataset.producer_type) == (
            ProvenanceMethod.OTHER,
            ProducerType.OFFICIAL,
        )


class TestCheck:
    async def test_normalises_what_it_is_given(self, conn: AsyncConnection) -> None:
        # given
        change = ProvenanceChange(
            {"sampling_note": "   ", "sdg_framework_version": None, "sample_size": 0}
        )
        problems: list[InvalidInput] = []
        # when
        async with AsyncSession(bind=conn) as session:
            ids = await dataset_provenance.check(session, 1, change, problems)
        # then
        assert (ids, problems) == (None, [])
        assert change.fields == {
            "sampling_note": None,
            "sdg_framework_version": "2025",
            "sample_size": 0,
        }


async def _matching(conn: AsyncConnection, dataset: Any, **filters: Any) -> set[int]:
    stmt = sa.select(observations.c.id).where(
        observations.c.dataset_id == dataset["id"], *repo.observation_filters(**filters)
    )
    return set((await conn.execute(stmt)).scalars())


class TestObservationFilters:
    async def test_own_value_else_the_datasets(self, conn: AsyncConnection) -> None:
        # given
        dataset = await f.create_dataset(
            conn, await f.create_coalition(conn), producer_type="COMMUNITY_DRIVEN"
        )
        inherits = (await f.create_observation(conn, dataset, sex="F"))["id"]
        official = (await f.create_observation(conn, dataset, sex="M", producer_type="OFFICIAL"))[
            "id"
        ]
        # when / then
        assert await _matching(conn, dataset, producer_types=["COMMUNITY_DRIVEN"]) == {inherits}
        assert await _matching(conn, dataset, producer_types=["OFFICIAL"]) == {official}
        assert await _matching(conn, dataset, producer_types=[]) == set()
        assert await _matching(conn, dataset) == {inherits, official}

    async def test_unrecorded_matches_no_condition(self, conn: AsyncConnection) -> None:
        dataset = await f.create_dataset(conn, await f.create_coalition(conn))
        await f.create_observation(conn, dataset)
        assert await _matching(conn, dataset, producer_types=["OTHER"]) == set()
        assert await _matching(conn, dataset, washington_group=False) == set()
        assert await _matching(conn, dataset, meets_criteria=["ANY"]) == set()
