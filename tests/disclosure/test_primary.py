"""The primary-suppression rule: its Python and SQL forms agree on every kind of cell."""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from lnob_api.access import visibility
from lnob_api.auth.principal import Principal, PrincipalKind, Scope
from lnob_api.disclosure.primary import (
    is_primary,
    is_unprotectable,
    observation_primary,
    primary_sql,
)
from lnob_api.models.enums import CoalitionRole
from lnob_api.models.tables import coalitions, datasets, observations

UNITS = ["PERSONS", " households ", "number", "PERCENT", "MEAN_YEARS", ""]
VALUES = [None, 0.0, 1.0, 4.0, 4.5, 5.0, 120.0]
SIZES = [None, 0, 3, 5, 80]


class TestRule:
    def test_a_small_count_without_sample_size_is_primary(self) -> None:
        # given the upload: PERSONS 4, 1 and 3, no sample size; threshold 5
        # then every one of them is a small group
        assert [is_primary("PERSONS", v, None, 5) for v in (4.0, 1.0, 3.0)] == [True] * 3
        assert not is_primary("PERSONS", 5.0, None, 5)

    def test_a_zero_count_is_an_empty_cell(self) -> None:
        assert not is_primary("PERSONS", 0.0, None, 5)

    def test_a_rate_uses_its_sample_size_then_the_dataset_provenance(self) -> None:
        assert is_primary("PERCENT", 2.5, 4, 5, provenance_n=120)
        assert not is_primary("PERCENT", 2.5, None, 5, provenance_n=120)
        assert is_primary("PERCENT", 2.5, None, 5, provenance_n=4)

    def test_a_rate_of_unknown_n_is_unprotectable_and_withheld(self) -> None:
        assert is_primary("PERCENT", 40.0, None, 5)
        assert is_unprotectable("PERCENT", 40.0, None, None)
        assert not is_unprotectable("PERSONS", 40.0, None, None)
        assert not is_primary("PERCENT", None, None, 5)


class TestSqlAgrees:
    async def test_every_combination(self, conn: AsyncConnection) -> None:
        # given every combination of unit, value, sample size and provenance n
        combos = list(itertools.product(UNITS, VALUES, SIZES, SIZES))
        cells = sa.values(
            sa.column("unit", sa.String),
            sa.column("value", sa.Double),
            sa.column("sample_size", sa.Integer),
            sa.column("provenance_n", sa.Integer),
            name="cells",
        ).data(combos)
        rule = primary_sql(
            unit=cells.c.unit,
            value=cells.c.value,
            sample_size=cells.c.sample_size,
            threshold=sa.literal(5),
            provenance_n=cells.c.provenance_n,
        )
        # when PostgreSQL evaluates the SQL form
        rows = (await conn.execute(sa.select(*cells.c, rule.label("primary")))).all()
        # then it matches the Python form, and is never NULL
        assert len(rows) == len(combos)
        for unit, value, n, prov, primary in rows:
            assert primary is not None
            assert primary == is_primary(unit, value, n, 5, prov), (unit, value, n, prov)


def _sql(clause: sa.ColumnElement[Any]) -> str:
    return str(clause.compile(dialect=postgresql.dialect()))


class TestPerRowWork:
    """The rule runs for every observation read, once per column that reads it: PostgreSQL
    evaluates each copy of an expression written into a statement."""

    def test_each_part_of_a_cell_is_read_once(self) -> None:
        # when the rule is written for observation rows
        sql = _sql(observation_primary(observations, datasets, coalitions))
        # then the cell's n (its own sample size, else its dataset's) and its folded unit
        # appear once each
        assert sql.count("coalesce(observations.sample_size, datasets.sample_size)") == 1
        assert sql.count("upper(") == 1

    def test_an_insider_s_own_rows_skip_the_rule(self) -> None:
        # given a member of coalition 5
        viewer = Principal(
            kind=PrincipalKind.USER,
            user_id=3,
            coalition_roles={5: CoalitionRole.VIEWER},
            member_coalition_ids=frozenset({5}),
            scopes=frozenset({Scope.DATA_READ.value}),
        )
        # when a cell's suppression is written for them
        hidden = visibility.suppressed(
            viewer,
            datasets.c.coalition_id,
            primary=observation_primary(observations, datasets, coalitions),
            secondary=observations.c.secondary_suppressed,
        )
        # then the coalition test comes first (a select list's AND runs left to right)
        sql = _sql(hidden)
        assert sql.startswith("(datasets.coalition_id NOT IN"), sql
        assert sql.index("NOT IN") < sql.index("upper(")
