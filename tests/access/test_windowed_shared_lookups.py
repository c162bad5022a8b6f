"""The lookups of a windowed page's conditions computed once (issue 12, W2 at 1M rows).

``read.repository.windowed`` writes each uncorrelated lookup of the page's conditions (the
visible datasets' ids, an indicator's id by its code) as one MATERIALIZED CTE that ``head``,
``walk`` and ``rest`` all read, instead of a copy of its plan in each part. A condition
that reads the page's own FROMs (the owner dataset) keeps its place: sharing it would
change what it reads. The pages themselves are those of the plain keyset page
(``test_windowed_walk``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from lnob_api import models
from lnob_api.auth.principal import ANONYMOUS
from lnob_api.graphql.observation.types import ObservationFilter, observation_slice
from lnob_api.observation.repository import OBSERVATIONS
from lnob_api.read import repository
from lnob_api.read.keyset import page_args


def _sql(base: Any, where: list[Any]) -> str:
    args = page_args(first=3, after=None, last=None, before=None, order=OBSERVATIONS.order)
    stmt = repository.windowed(OBSERVATIONS, base, args, 5_000, filters=where)
    return str(stmt.compile(dialect=postgresql.dialect()))


def test_each_lookup_is_written_once() -> None:
    where = observation_slice(ObservationFilter(indicators=["1.1.1"])).where
    base = repository.scoped(OBSERVATIONS, ANONYMOUS).where(*where)
    plain = str(base.compile(dialect=postgresql.dialect()))
    sql = _sql(base, where)
    # head, the walk's counts and keys, the walk and rest: each read the two lookups
    assert sql.count("FROM indicators") == plain.count("FROM indicators") == 1
    assert sql.count("FROM consents") == plain.count("FROM consents") == 2
    assert "lookup0 AS MATERIALIZED" in sql and "lookup1 AS MATERIALIZED" in sql


def test_without_sharing_every_part_holds_a_copy(monkeypatch: Any) -> None:
    monkeypatch.setattr(repository, "SHARED_LOOKUPS", False)
    where = observation_slice(ObservationFilter(indicators=["1.1.1"])).where
    base = repository.scoped(OBSERVATIONS, ANONYMOUS).where(*where)
    sql = _sql(base, where)
    assert sql.count("FROM indicators") > 3
    assert "lookup0" not in sql


def test_a_lookup_reading_the_pages_own_rows_stays_in_place() -> None:
    owner = OBSERVATIONS.table.c.dataset_id
    datasets = models.Dataset.__table__
    # Correlated to the observation's dataset id: not a value the parts could share.
    own = sa.select(datasets.c.coalition_id).where(datasets.c.id == owner).scalar_subquery()
    where = [own.is_not(None)]
    base = repository.scoped(OBSERVATIONS, ANONYMOUS).where(*where)
    sql = _sql(base, where)
    # the visible datasets' ids are shared; the correlated lookup is in head and rest (no
    # walk: the condition keeps no value of an indexed column)
    assert "lookup0 AS MATERIALIZED" in sql and "lookup1" not in sql
    assert sql.count("WHERE datasets.id = observations.dataset_id") == 2


def test_a_lookup_read_as_a_set_stays_in_place() -> None:
    # dataset_id IN (SELECT ...) is a scalar subquery to SQLAlchemy, but reads every row: as a
    # one-row CTE it failed ("more than one row returned by a subquery used as an expression",
    # the incremental sync's changed datasets)
    datasets = models.Dataset.__table__
    changed = sa.select(datasets.c.id).where(datasets.c.access_changed_at.is_not(None))
    where = [OBSERVATIONS.table.c.dataset_id.in_(changed.scalar_subquery())]
    base = repository.scoped(OBSERVATIONS, ANONYMOUS).where(*where)
    sql = _sql(base, where)
    assert "lookup0 AS MATERIALIZED" in sql and "lookup1" not in sql
    assert sql.count("datasets.access_changed_at IS NOT NULL") >= 2  # in head and rest
